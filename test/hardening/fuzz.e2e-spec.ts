import { startTestApp, TestApp } from '../support/app.js';
import type { ApiResponse, CallOptions } from '../support/client.js';
import {
  addCard,
  createApiKey,
  createPlan,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  PASSWORD,
  registerUser,
  subscribe,
} from '../support/factories.js';
import { listOperations, Operation, Schema } from './openapi-support.js';

/** mulberry32: a small seeded generator, so that every run sends the same requests. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nested = (depth: number): unknown => {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

/** Values of every wrong kind, sent in place of each body field. */
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  'NaN',
  '0x10',
  '',
  'x'.repeat(100_000),
  'a\u0000b',
  'a\ud800b',
  '😀',
  "' or 1=1 --",
  '2026-02-30T25:61:00Z',
  [],
  {},
  { a: 1 },
  nested(40),
];

/** Raw query values (already URL-encoded), in place of each query parameter. */
const HOSTILE_QUERY = [
  '0x10',
  '1e1',
  '%2B16',
  '-1',
  '0',
  '101',
  '9007199254740993',
  '1e308',
  'NaN',
  '',
  'x'.repeat(3_000),
  '%00',
  'a%ED%A0%80',
  '%ZZ',
  '2026-02-30T00:00:00Z',
  '9999999-01-01',
];

const HOSTILE_PATH = ['not-a-uuid', '00000000-0000-0000-0000-000000000000', 'a'.repeat(150), '%00', '%ED%A0%80', '%', 'x%2Fy'];

/** Whole bodies that are not the object an operation expects. */
const HOSTILE_RAW_BODIES = [
  '[]',
  '"text"',
  'null',
  '1',
  '{',
  '{"__proto__":{"isPlatformAdmin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '['.repeat(5_000) + ']'.repeat(5_000),
  '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000),
  JSON.stringify(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))),
];

/**
 * Fuzzes every operation of the OpenAPI document — wrong types, missing and extra fields, huge,
 * NUL and lone-surrogate strings, edge numbers, deep and wide bodies, hostile path and query
 * values, with and without an Idempotency-Key — as a platform admin who is also a tenant admin and
 * as a plain tenant admin, so the handlers are reached. No answer may be a 5xx, and every 4xx is a
 * problem-details document.
 */
describe('fuzz: every documented operation answers hostile input with a 4xx problem', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_MAX_ATTEMPTS_PER_ADDRESS: '1000000' });
  });
  afterAll(() => t.close());

  it('never answers 5xx, and every 4xx is problem+json', async () => {
    const random = seeded(0x8e5a7a);
    const pick = <T>(values: T[]) => values[Math.floor(random() * values.length)];

    const admin = await createPlatformAdmin(t);
    const tenantA = (await t.api.post('/v1/tenants', { name: 'Fuzz A' }, { token: admin.token })).body;
    const tenantB = await createTenantWithAdmin(t.api, 'Fuzz B');
    const member = await registerUser(t.api, 'member');
    await t.api.post('/v1/members', { email: member.email, role: 'tenant_user' }, { token: admin.token, tenant: tenantA.id });
    const policy = await createPolicy(t.api, admin.token, 'api_calls', 1000);
    const plan = await createPlan(t.api, admin.token, { priceAmount: 1000, policyIds: [policy.id] });
    const otherPlan = await createPlan(t.api, admin.token, { priceAmount: 2000 });
    const asAdminTenant = { token: admin.token, tenantId: tenantA.id, userId: admin.userId };
    const card = await addCard(t.api, { ...asAdminTenant, email: admin.email, refreshToken: '' });
    await subscribe(t.api, { ...asAdminTenant, email: admin.email, refreshToken: '' }, plan.id);
    await addCard(t.api, tenantB);
    const apiKey = await createApiKey(t.api, tenantB);
    const invoices = (await t.api.get('/v1/invoices', { token: admin.token, tenant: tenantA.id })).body.data;

    // The ids a path or body field is filled with, so the handlers behind validation are reached.
    const ids: Record<string, string> = {
      '/v1/plans/': otherPlan.id,
      '/v1/policies/': policy.id,
      '/v1/members/': member.userId,
      '/v1/admin/tenants/': tenantB.tenantId,
      '/v1/invoices/': invoices[0]?.id ?? crypto.randomUUID(),
      '/v1/payment-methods/': card.id,
      '/v1/api-keys/': apiKey.id,
      '/v1/entitlements/': 'api_calls',
    };
    const identities: CallOptions[] = [
      { token: admin.token, tenant: tenantA.id },
      { token: admin.token, tenant: tenantA.id },
      { token: tenantB.token, tenant: tenantB.tenantId },
    ];

    const sample = (schema: Schema | undefined, field = ''): unknown => {
      if (!schema) return 'fuzz';
      if (schema.enum?.length) return schema.enum[0];
      switch (schema.type) {
        case 'integer':
        case 'number':
          return { expMonth: 12, expYear: 2099, priceAmount: 1500, quantity: 1 }[field] ?? 1;
        case 'boolean':
          return true;
        case 'array':
          return field === 'policyIds' ? [policy.id] : [sample(schema.items)];
        case 'object':
          return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, sample(s, k)]));
        default:
          if (field === 'planId') return otherPlan.id;
          if (field === 'paymentMethodId') return card.id;
          if (schema.format === 'uuid') return crypto.randomUUID();
          if (schema.format === 'date-time') return new Date().toISOString();
          if (schema.format === 'email' || field === 'email') return `fuzz-${Math.floor(random() * 1e9)}@example.test`;
          return (
            {
              cardNumber: '4242424242424242',
              currency: 'USD',
              metric: 'api_calls',
              password: PASSWORD,
              currentPassword: 'not-the-password',
              newPassword: 'another-long-password-1',
              code: `fuzz-${Math.floor(random() * 1e9)}`,
            }[field] ?? 'fuzz'
          );
      }
    };

    const failures: string[] = [];
    let sent = 0;
    const check = (what: string, res: ApiResponse) => {
      sent++;
      if (res.status >= 500) failures.push(`${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      else if (res.status >= 400) {
        const problem =
          /^application\/problem\+json/.test(res.headers.get('content-type') ?? '') &&
          typeof res.body?.code === 'string' &&
          res.body.status === res.status;
        if (!problem) failures.push(`${what} → ${res.status} is not problem+json: ${String(res.headers.get('content-type'))}`);
      }
    };
    // The requests are drawn first (deterministically), then sent a few at a time.
    const cases: (() => Promise<void>)[] = [];
    const call = (op: Operation, path: string, body: unknown, options: CallOptions & { what: string }) => {
      const identity = pick(identities);
      const idempotencyKey = op.method === 'POST' && random() < 0.5 ? `fuzz-${Math.floor(random() * 1e9)}` : undefined;
      cases.push(async () => {
        const res = await t.api.request(op.method, path, body, { ...identity, idempotencyKey, ...options });
        check(`${op.method} ${options.what}`, res);
      });
    };
    // Logging out would end the session the rest of the run uses; its only input is covered elsewhere.
    const operations = listOperations().filter((op) => op.operationId !== 'logout');
    expect(operations.length).toBeGreaterThan(50);

    for (const op of operations) {
      const id = Object.entries(ids).find(([prefix]) => op.path.startsWith(prefix))?.[1] ?? crypto.randomUUID();
      const path = op.path.replace(/\{[^}]+\}/g, id);
      const base = op.body ? (sample(op.body) as Record<string, unknown>) : undefined;

      call(op, path, base, { what: `${op.path} (base)` });
      for (const value of HOSTILE_PATH) {
        if (op.pathParams.length)
          call(op, op.path.replace(/\{[^}]+\}/g, value), base, { what: `${op.path} path=${value.slice(0, 20)}` });
      }
      for (const q of op.query) {
        for (const value of HOSTILE_QUERY) {
          call(op, `${path}?${q.name}=${value}`, base, { what: `${op.path}?${q.name}=${value.slice(0, 20)}` });
        }
        call(op, `${path}?${q.name}=1&${q.name}=2`, base, { what: `${op.path}?${q.name} twice` });
      }
      const headers = { 'idempotency-key': 'k'.repeat(300) };
      if (op.method === 'POST') call(op, path, base ?? {}, { what: `${op.path} long Idempotency-Key`, headers });

      if (!base || !op.body?.properties) {
        if (op.method !== 'GET') call(op, path, { unexpected: 1 }, { what: `${op.path} body on a bodiless operation` });
        continue;
      }
      for (const raw of HOSTILE_RAW_BODIES) call(op, path, undefined, { what: `${op.path} raw ${raw.slice(0, 20)}`, raw });
      call(op, path, undefined, {
        what: `${op.path} text/plain`,
        raw: 'name=x',
        headers: { 'content-type': 'text/plain' },
      });
      call(op, path, { ...base, unexpected: 'x', ['k\u0000']: 1 }, { what: `${op.path} extra fields` });
      for (const field of Object.keys(op.body.properties)) {
        const { [field]: _missing, ...without } = base;
        call(op, path, without, { what: `${op.path} without ${field}` });
        for (const value of HOSTILE_VALUES) {
          call(op, path, { ...base, [field]: value }, { what: `${op.path} ${field}=${JSON.stringify(value)?.slice(0, 30)}` });
        }
      }
      // A few random combinations of wrong fields at once.
      const fields = Object.keys(op.body.properties);
      for (let i = 0; i < 10; i++) {
        const body: Record<string, unknown> = { ...base };
        for (let j = 0; j < 3; j++) body[pick(fields)] = pick(HOSTILE_VALUES);
        call(op, path, body, { what: `${op.path} combination ${i}` });
      }
    }

    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) await cases[next++]();
    };
    await Promise.all(Array.from({ length: 4 }, worker));

    expect(failures).toEqual([]);
    expect(sent).toBe(cases.length);
    expect(sent).toBeGreaterThan(2_500);
    // The run ends with the platform still answering, and fast.
    expect((await t.api.get('/health/live')).status).toBe(200);
    process.stderr.write(`fuzz: ${sent} requests in ${Date.now() - started} ms\n`);
  }, 120_000);
});
