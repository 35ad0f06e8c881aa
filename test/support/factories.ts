import { randomBytes } from 'node:crypto';
import { ownerQuery, type TestApp } from './app.js';
import * as sdk from '../../sdk/index.js';
import type {
  AuthResultDto,
  CreatedApiKeyDto,
  CreatePlanDto,
  InviteResultDto,
  PaymentMethodDto,
  PlanDto,
  PolicyDto,
  SubscriptionDto,
} from '../../sdk/index.js';
import { as, type ApiClient, type ApiResponse } from './client.js';

export { as } from './client.js';

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

/**
 * The data of a set-up call made through the generated SDK, which must answer `status`; anything
 * else fails the test with the answer (set-up is not what a test checks, but it must not go wrong quietly).
 */
export async function expectData<T>(
  what: string,
  status: number,
  call: Promise<{ data?: T; error?: unknown; response?: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response?.status !== status || data === undefined)
    throw new Error(`${what} failed: ${response?.status} ${JSON.stringify(error ?? data)}`);
  return data;
}

const signedIn = (email: string, auth: AuthResultDto): SignedIn => ({
  userId: auth.user.id,
  email,
  token: auth.accessToken,
  refreshToken: auth.refreshToken,
});

export async function registerUser(api: ApiClient, prefix = 'user'): Promise<SignedIn> {
  const email = uniqueEmail(prefix);
  const auth = await expectData(
    'register',
    201,
    sdk.register({ client: api.sdk(), body: { email, password: PASSWORD, name: `${prefix} person` } }),
  );
  return signedIn(email, auth);
}

/** A new user who creates a new tenant and is its tenant_admin. */
export async function createTenantWithAdmin(api: ApiClient, name = 'Tenant'): Promise<TenantWithAdmin> {
  const admin = await registerUser(api, 'admin');
  const tenant = await expectData('create tenant', 201, sdk.createTenant({ client: api.sdk(admin), body: { name } }));
  return { ...admin, tenantId: tenant.id };
}

/** The tenant's admin invites `email` with the role (202); answers the invitation. */
export async function invite(
  api: ApiClient,
  tenant: TenantWithAdmin,
  email: string,
  role: 'tenant_admin' | 'tenant_user' = 'tenant_user',
): Promise<InviteResultDto> {
  return expectData('invite', 202, sdk.addMember({ client: api.sdk(as(tenant)), body: { email, role } }));
}

/** Registers a user, invites them into the tenant with the role, and accepts as them. */
export async function addMember(
  api: ApiClient,
  tenant: TenantWithAdmin,
  role: 'tenant_admin' | 'tenant_user' = 'tenant_user',
): Promise<SignedIn> {
  const user = await registerUser(api, role);
  const invitation = await invite(api, tenant, user.email, role);
  await expectData('accept', 200, sdk.acceptInvitation({ client: api.sdk(user), path: { id: invitation.invitationId } }));
  return user;
}

export async function signInAsPlatformAdmin(api: ApiClient, email: string, password: string): Promise<string> {
  return (await expectData('admin login', 200, sdk.login({ client: api.sdk(), body: { email, password } }))).accessToken;
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
  const auth = await expectData(
    'register',
    201,
    sdk.register({ client: t.api.sdk(), body: { email, password, name: 'Platform admin' } }),
  );
  await ownerQuery(t, 'update users set is_platform_admin = true where id = $1', [auth.user.id]);
  return signedIn(email, auth);
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

export type PlanInput = Partial<CreatePlanDto>;

/** A plan created by a platform admin (unique code unless given). */
export async function createPlan(api: ApiClient, adminToken: string, input: PlanInput = {}): Promise<PlanDto> {
  const body: CreatePlanDto = {
    code: `plan-${randomBytes(4).toString('hex')}`,
    name: 'Plan',
    priceAmount: 1000,
    currency: 'USD',
    interval: 'month',
    ...input,
  };
  return expectData('create plan', 201, sdk.createPlan({ client: api.sdk({ token: adminToken }), body }));
}

/** A limit policy created by a platform admin. */
export async function createPolicy(
  api: ApiClient,
  adminToken: string,
  metric: string,
  limit: number | null,
  enforcement: 'hard' | 'soft' = 'hard',
): Promise<PolicyDto> {
  return expectData(
    'create policy',
    201,
    sdk.createPolicy({ client: api.sdk({ token: adminToken }), body: { metric, limit, enforcement } }),
  );
}

export const CARDS = { ok: '4242424242424242', declined: '4000000000000002', insufficient: '4000000000009995' } as const;

export async function addCard(api: ApiClient, tenant: TenantWithAdmin, cardNumber: string = CARDS.ok): Promise<PaymentMethodDto> {
  return expectData(
    'add card',
    201,
    sdk.addPaymentMethod({ client: api.sdk(as(tenant)), body: { cardNumber, expMonth: 12, expYear: 2099 } }),
  );
}

export async function subscribe(api: ApiClient, tenant: TenantWithAdmin, planId: string): Promise<SubscriptionDto> {
  return expectData('subscribe', 201, sdk.subscribe({ client: api.sdk(as(tenant)), body: { planId } }));
}

/** A new API key of the tenant (created by its admin); `secret` is the whole key, shown once. */
export async function createApiKey(
  api: ApiClient,
  tenant: TenantWithAdmin,
  mode: 'test' | 'live' = 'live',
  name = 'Backend',
): Promise<CreatedApiKeyDto> {
  return expectData('create API key', 201, sdk.createApiKey({ client: api.sdk(as(tenant)), body: { name, mode } }));
}
