import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import type { ApiResponse } from '../support/client.js';
import {
  as,
  addMember,
  CARDS,
  createTenantWithAdmin,
  expectProblem,
  PASSWORD,
  registerUser,
  SignedIn,
  TenantWithAdmin,
  uniqueEmail,
} from '../support/factories.js';

const PER_USER = 5;
const PER_TENANT = 8;
const LIMITS = {
  CREATE_MAX_PER_USER: String(PER_USER),
  CREATE_MAX_PER_TENANT: String(PER_TENANT),
  CREATE_THROTTLE_WINDOW_SECONDS: '600',
  AUTH_MAX_ATTEMPTS_PER_ADDRESS: '1000',
};

/**
 * Creation routes are rate-limited per user and per tenant (a card-testing oracle otherwise), and
 * the counters live in Redis: two API processes on one REDIS_PREFIX count together.
 */
describe('rate limits on creation, shared by every API process', () => {
  let t: TestApp;
  /** A second API process: the same database and the same Redis prefix. */
  let other: TestApp;
  beforeAll(async () => {
    t = await startTestApp(LIMITS);
    other = await startTestApp({
      ...LIMITS,
      REDIS_PREFIX: t.config.REDIS_PREFIX,
      DATABASE_URL: t.appUrl,
      DATABASE_OWNER_URL: t.ownerUrl,
    });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const card = (app: TestApp, user: SignedIn, tenant: TenantWithAdmin) =>
    app.api.post('/v1/payment-methods', { cardNumber: CARDS.ok, expMonth: 12, expYear: 2099 }, as(user, tenant));
  const cardsOf = async (tenant: TenantWithAdmin) =>
    (await ownerQuery(t, 'select count(*)::int as n from payment_methods where tenant_id = $1', [tenant.tenantId]))[0].n;

  function expectRateLimited(res: ApiResponse): void {
    expectProblem(res, 429, 'rate_limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
  }

  it('answers 429 rate_limited to the card past the per-user limit of 20 sent at once, counting across both processes', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => card(i % 2 ? other : t, tenant, tenant)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(PER_USER);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - PER_USER);
    for (const res of results.filter((r) => r.status === 429)) expectRateLimited(res);
    expect(await cardsOf(tenant)).toBe(PER_USER);
  });

  it('tells the remaining allowance on each answer, and the next one (either process) is refused', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    for (let i = 1; i <= PER_USER; i++) {
      const res = await card(i % 2 ? t : other, tenant, tenant);
      expect(res.status).toBe(201);
      expect(res.headers.get('x-ratelimit-limit')).toBe(String(PER_USER));
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(PER_USER - i));
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    }
    expectRateLimited(await card(t, tenant, tenant));
    expectRateLimited(await card(other, tenant, tenant));
    // Listing is not creation: not limited.
    expect((await t.api.get('/v1/payment-methods', as(tenant, tenant))).status).toBe(200);
  });

  it('limits per tenant as well: several admins together cannot pass the tenant limit', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const second = await addMember(t.api, tenant, 'tenant_admin');
    const third = await addMember(t.api, tenant, 'tenant_admin');
    const statuses: number[] = [];
    for (const admin of [tenant, second, third]) {
      for (let i = 0; i < 4; i++) statuses.push((await card(i % 2 ? other : t, admin, tenant)).status);
    }
    // 4 + 4 pass (the user limit of 5 is not reached), then the tenant's 8 are used up.
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 201, 201, 429, 429, 429, 429]);
    expect(await cardsOf(tenant)).toBe(PER_TENANT);
    // Another tenant is not affected.
    const elsewhere = await createTenantWithAdmin(t.api);
    expect((await card(t, elsewhere, elsewhere)).status).toBe(201);
  });

  it('limits API keys, invitations and tenants the same way', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const attempts: Record<string, (i: number) => Promise<ApiResponse>> = {
      apiKeys: (i) => (i % 2 ? other : t).api.post('/v1/api-keys', { name: `k${i}`, mode: 'test' }, as(tenant, tenant)),
      invitations: (i) =>
        (i % 2 ? other : t).api.post('/v1/members', { email: uniqueEmail('inv'), role: 'tenant_user' }, as(tenant, tenant)),
      tenants: (i) => (i % 2 ? other : t).api.post('/v1/tenants', { name: `T${i}` }, { token: tenant.token }),
    };
    for (const [kind, attempt] of Object.entries(attempts)) {
      const statuses: number[] = [];
      // The user created one tenant already (createTenantWithAdmin).
      const allowed = kind === 'tenants' ? PER_USER - 1 : PER_USER;
      for (let i = 0; i < allowed + 2; i++) statuses.push((await attempt(i)).status);
      expect({ kind, refused: statuses.slice(allowed) }).toEqual({ kind, refused: [429, 429] });
      expect({ kind, passed: statuses.slice(0, allowed).every((s) => s === 201 || s === 202) }).toEqual({ kind, passed: true });
    }
  });

  it('shares the per-address sign-in limit between processes', async () => {
    const limits = { ...LIMITS, AUTH_MAX_ATTEMPTS_PER_ADDRESS: '6' };
    const first = await startTestApp(limits);
    const second = await startTestApp({
      ...limits,
      REDIS_PREFIX: first.config.REDIS_PREFIX,
      DATABASE_URL: first.appUrl,
      DATABASE_OWNER_URL: first.ownerUrl,
    });
    try {
      const user = await registerUser(first.api, 'addr'); // attempt 1 from this address
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const app = i % 2 ? second : first;
        statuses.push((await app.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status);
      }
      // 6 attempts in the window: the registration and 5 sign-ins; then 429 from either process.
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const refused = await second.api.post('/v1/auth/register', { email: uniqueEmail(), password: PASSWORD, name: 'Late' });
      expectRateLimited(refused);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
