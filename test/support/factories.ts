import { randomBytes } from 'node:crypto';
import { ownerQuery, type TestApp } from './app.js';
import type { ApiClient, ApiResponse } from './client.js';

export const PASSWORD = 'correct-horse-battery';

export interface SignedIn {
  userId: string;
  email: string;
  token: string;
  refreshToken: string;
}

export interface TenantWithAdmin extends SignedIn {
  tenantId: string;
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomBytes(5).toString('hex')}@example.test`;

export async function registerUser(api: ApiClient, prefix = 'user'): Promise<SignedIn> {
  const email = uniqueEmail(prefix);
  const res = await api.post('/v1/auth/register', { email, password: PASSWORD, name: `${prefix} person` });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user.id, email, token: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/** A new user who creates a new tenant and is its tenant_admin. */
export async function createTenantWithAdmin(api: ApiClient, name = 'Tenant'): Promise<TenantWithAdmin> {
  const admin = await registerUser(api, 'admin');
  const res = await api.post('/v1/tenants', { name }, { token: admin.token });
  if (res.status !== 201) throw new Error(`create tenant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...admin, tenantId: res.body.id };
}

/** The tenant's admin invites `email` with the role (202); answers the invitation. */
export async function invite(
  api: ApiClient,
  tenant: TenantWithAdmin,
  email: string,
  role: 'tenant_admin' | 'tenant_user' = 'tenant_user',
): Promise<any> {
  const res = await api.post('/v1/members', { email, role }, { token: tenant.token, tenant: tenant.tenantId });
  if (res.status !== 202) throw new Error(`invite failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Registers a user, invites them into the tenant with the role, and accepts as them. */
export async function addMember(
  api: ApiClient,
  tenant: TenantWithAdmin,
  role: 'tenant_admin' | 'tenant_user' = 'tenant_user',
): Promise<SignedIn> {
  const user = await registerUser(api, role);
  const invitation = await invite(api, tenant, user.email, role);
  const res = await api.post(`/v1/invitations/${invitation.invitationId}/accept`, undefined, { token: user.token });
  if (res.status !== 200) throw new Error(`accept failed: ${res.status} ${JSON.stringify(res.body)}`);
  return user;
}

export async function signInAsPlatformAdmin(api: ApiClient, email: string, password: string): Promise<string> {
  const res = await api.post('/v1/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

/**
 * A new user with the platform_admin flag. The test database is not seeded, so the flag is set
 * directly as the owner; the guard reads it from the database on every request, so the token
 * issued at registration already carries the role.
 */
export async function createPlatformAdmin(
  t: TestApp,
  credentials: { email?: string; password?: string } = {},
): Promise<SignedIn> {
  const email = credentials.email ?? uniqueEmail('platform');
  const password = credentials.password ?? PASSWORD;
  const res = await t.api.post('/v1/auth/register', { email, password, name: 'Platform admin' });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  await ownerQuery(t, 'update users set is_platform_admin = true where id = $1', [res.body.user.id]);
  return { userId: res.body.user.id, email, token: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/** Asserts an RFC 9457 answer of API.md: status, code, content type and the request id of the response. */
export function expectProblem(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status, code } });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
      requestId: res.headers.get('x-request-id'),
    }),
  );
}

export interface RouteInfo {
  method: string;
  /** OpenAPI template, e.g. `/v1/members/{userId}`. */
  path: string;
  /** Declared tenant-scoped (the `X-Tenant-Id` header that `@Access({ tenant: true })` documents). */
  tenant: boolean;
}

/** Every route the running app documents (read from its own `/docs-json`), so route matrices grow with the API. */
export async function listRoutes(api: ApiClient): Promise<RouteInfo[]> {
  const res = await api.get('/docs-json');
  if (res.status !== 200) throw new Error(`/docs-json failed: ${res.status}`);
  const routes: RouteInfo[] = [];
  for (const [path, item] of Object.entries<Record<string, { parameters?: { name: string; in: string }[] }>>(res.body.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const tenant = (operation.parameters ?? []).some((p) => p.in === 'header' && p.name.toLowerCase() === 'x-tenant-id');
      routes.push({ method: method.toUpperCase(), path, tenant });
    }
  }
  return routes;
}

/** Fills every `{param}` of an OpenAPI path template with the value. */
export const fillPath = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);

export interface PlanInput {
  code?: string;
  name?: string;
  priceAmount?: number;
  currency?: string;
  interval?: 'day' | 'week' | 'month' | 'year';
  intervalCount?: number;
  trialDays?: number;
  durationCycles?: number | null;
  policyIds?: string[];
}

/** A plan created by a platform admin (unique code unless given). */
export async function createPlan(api: ApiClient, adminToken: string, input: PlanInput = {}): Promise<any> {
  const body = {
    code: input.code ?? `plan-${randomBytes(4).toString('hex')}`,
    name: input.name ?? 'Plan',
    priceAmount: input.priceAmount ?? 1000,
    currency: input.currency ?? 'USD',
    interval: input.interval ?? 'month',
    ...input,
  };
  const res = await api.post('/v1/plans', body, { token: adminToken });
  if (res.status !== 201) throw new Error(`create plan failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A limit policy created by a platform admin. */
export async function createPolicy(
  api: ApiClient,
  adminToken: string,
  metric: string,
  limit: number | null,
  enforcement: 'hard' | 'soft' = 'hard',
): Promise<any> {
  const res = await api.post('/v1/policies', { metric, limit, enforcement }, { token: adminToken });
  if (res.status !== 201) throw new Error(`create policy failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const CARDS = { ok: '4242424242424242', declined: '4000000000000002', insufficient: '4000000000009995' } as const;

export async function addCard(api: ApiClient, tenant: TenantWithAdmin, cardNumber: string = CARDS.ok): Promise<any> {
  const res = await api.post(
    '/v1/payment-methods',
    { cardNumber, expMonth: 12, expYear: 2099 },
    { token: tenant.token, tenant: tenant.tenantId },
  );
  if (res.status !== 201) throw new Error(`add card failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function subscribe(api: ApiClient, tenant: TenantWithAdmin, planId: string): Promise<any> {
  const res = await api.post('/v1/subscription', { planId }, { token: tenant.token, tenant: tenant.tenantId });
  if (res.status !== 201) throw new Error(`subscribe failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A new API key of the tenant (created by its admin); `secret` is the whole key, shown once. */
export async function createApiKey(
  api: ApiClient,
  tenant: TenantWithAdmin,
  mode: 'test' | 'live' = 'live',
  name = 'Backend',
): Promise<any> {
  const res = await api.post('/v1/api-keys', { name, mode }, { token: tenant.token, tenant: tenant.tenantId });
  if (res.status !== 201) throw new Error(`create API key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
