import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checks the committed `openapi.json` (written by `npm run openapi`, kept fresh by
 * `npm run check:generated`): the contract the SDK and clients are generated from.
 */

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[] }>;
    securitySchemes: Record<string, unknown>;
  };
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'options', 'head', 'trace']);
const PUBLIC = new Set(['POST /v1/auth/register', 'POST /v1/auth/login', 'POST /v1/auth/refresh']);
const isPublic = (method: string, path: string) =>
  path.startsWith('/health/') || /^\/problems(\/|$)/.test(path) || PUBLIC.has(`${method.toUpperCase()} ${path}`);

/** API.md's tenant-scoped ("T") routes; the document must offer X-Tenant-Id on each. */
// Invitations are tenant-scoped for the tenant_admin (list, revoke), not for the invitee (accept, decline).
const TENANT_ROUTE =
  /^\/v1\/((tenant|members|subscriptions?|usage|entitlements|api-keys|notifications|payment-methods|invoices|payments|credit-balance|audit-logs|dashboard)(\/|$)|invitations(\/\{id\})?$)/;

// Jest runs from the repository root (rootDir of jest.config.js).
const document = JSON.parse(readFileSync(join(process.cwd(), 'openapi.json'), 'utf8')) as Document;

const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.has(method))
    .map(([method, op]) => ({ method, path, op, name: `${method.toUpperCase()} ${path}` })),
);

describe('openapi.json', () => {
  it('is an OpenAPI 3 document with operations', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(operations.length).toBeGreaterThan(10);
  });

  it('gives every operation a unique operationId, a summary and a tag', () => {
    const problems: string[] = [];
    const ids = new Map<string, string>();
    for (const { name, op } of operations) {
      if (!op.operationId) problems.push(`${name}: no operationId`);
      else if (ids.has(op.operationId))
        problems.push(`${name}: operationId ${op.operationId} also used by ${ids.get(op.operationId)}`);
      else ids.set(op.operationId, name);
      if (!op.summary?.trim()) problems.push(`${name}: no summary`);
      if (!op.tags?.length) problems.push(`${name}: no tag`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps the operationIds of API.md routes the SDK is built on', () => {
    const idOf = (method: string, path: string) => document.paths[path]?.[method]?.operationId;
    expect({
      register: idOf('post', '/v1/auth/register'),
      login: idOf('post', '/v1/auth/login'),
      createTenant: idOf('post', '/v1/tenants'),
      listMembers: idOf('get', '/v1/members'),
      addMember: idOf('post', '/v1/members'),
      updateMember: idOf('patch', '/v1/members/{userId}'),
      removeMember: idOf('delete', '/v1/members/{userId}'),
      listAuditLogs: idOf('get', '/v1/audit-logs'),
    }).toEqual({
      register: 'register',
      login: 'login',
      createTenant: 'createTenant',
      listMembers: 'listMembers',
      addMember: 'addMember',
      updateMember: 'updateMember',
      removeMember: 'removeMember',
      listAuditLogs: 'listAuditLogs',
    });
  });

  it('requires bearer auth on every non-public operation and documents its 401', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const problems: string[] = [];
    for (const { method, path, op, name } of operations) {
      if (isPublic(method, path)) continue;
      if (!op.security?.some((requirement) => 'bearer' in requirement)) problems.push(`${name}: no bearer security`);
      if (!op.responses['401']) problems.push(`${name}: no 401 response`);
    }
    expect(problems).toEqual([]);
  });

  it('leaves the public operations open', () => {
    const open = operations.filter(({ method, path }) => isPublic(method, path));
    expect(open.map((o) => o.name).sort()).toEqual(
      expect.arrayContaining([
        'GET /health/live',
        'GET /health/ready',
        'GET /problems',
        'GET /problems/{code}',
        'POST /v1/auth/login',
        'POST /v1/auth/refresh',
        'POST /v1/auth/register',
      ]),
    );
    for (const { op, name } of open) expect({ name, security: op.security ?? [] }).toEqual({ name, security: [] });
  });

  it('documents X-Tenant-Id on every tenant-scoped operation, and only there', () => {
    const problems: string[] = [];
    for (const { path, op, name } of operations) {
      const header = op.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'x-tenant-id');
      if (TENANT_ROUTE.test(path) && !header) problems.push(`${name}: X-Tenant-Id not documented`);
      if (!TENANT_ROUTE.test(path) && header)
        problems.push(`${name}: X-Tenant-Id documented on a route that is not tenant-scoped`);
      // Optional: it may be left out when the caller belongs to exactly one tenant (API.md).
      if (header?.required) problems.push(`${name}: X-Tenant-Id must be optional`);
    }
    expect(problems).toEqual([]);
  });

  it('describes every error answer as problem details', () => {
    const schema = document.components.schemas.ProblemDetails;
    expect(schema).toBeDefined();
    expect(schema.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'code', 'detail', 'requestId']));
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'code', 'detail', 'errors', 'requestId']),
    );

    const problems: string[] = [];
    for (const { path, op, name } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || path.startsWith('/health/')) continue; // terminus documents its own 503 body
        const ref = response.content?.['application/problem+json']?.schema?.$ref;
        if (ref !== '#/components/schemas/ProblemDetails')
          problems.push(`${name}: ${status} is not application/problem+json ProblemDetails`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents 400 on every operation that takes a body, path id or query', () => {
    const problems: string[] = [];
    for (const { op, name } of operations) {
      const takesInput = 'requestBody' in op || (op.parameters ?? []).some((p) => p.in === 'path' || p.in === 'query');
      if (takesInput && !op.responses['400']) problems.push(`${name}: no 400 response`);
    }
    expect(problems).toEqual([]);
  });

  it('shows the properties of every schema and resolves every $ref', () => {
    const empty = Object.entries(document.components.schemas)
      .filter(([, schema]) => schema.type === 'object' && !Object.keys(schema.properties ?? {}).length)
      .map(([name]) => name);
    expect(empty).toEqual([]);

    const text = JSON.stringify(document);
    const missing = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)]
      .map((m) => m[1])
      .filter((name) => !document.components.schemas[name]);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('documents pagination on list operations', () => {
    const problems: string[] = [];
    for (const { method, op, name } of operations) {
      const ok = op.responses['200']?.content?.['application/json']?.schema?.$ref;
      if (method !== 'get' || !ok?.endsWith('Page')) continue;
      const query = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      if (!query.has('limit') || !query.has('cursor')) problems.push(`${name}: limit/cursor not documented`);
      const page = document.components.schemas[ok.split('/').pop()!];
      if (!page.required?.includes('data') || !page.required?.includes('nextCursor'))
        problems.push(`${name}: page envelope incomplete`);
    }
    expect(problems).toEqual([]);
  });
});
