import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  createApiKey,
  createPlan,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  expectProblem,
  registerUser,
  SignedIn,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/**
 * Every list route, walked at limit=1 over rows whose creation times share one millisecond and
 * differ in microseconds (as PostgreSQL's now() writes them): each row exactly once.
 */
describe('cursors: exact, opaque, refused when forged', () => {
  let t: TestApp;
  let tenant: TenantWithAdmin;
  let admin: SignedIn;
  let planId: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await createPlatformAdmin(t);
    tenant = await createTenantWithAdmin(t.api, 'Cursor Corp');
    await createTenantWithAdmin(t.api, 'Second');
    for (let i = 0; i < 3; i++) await createPolicy(t.api, admin.token, `metric_${i}`, 10);
    const plan = await createPlan(t.api, admin.token, { priceAmount: 500 });
    planId = plan.id;
    for (const priceAmount of [600, 700]) {
      const res = await t.api.patch(`/v1/plans/${plan.id}`, { priceAmount }, { token: admin.token });
      expect(res.status).toBe(200);
    }
    await createPlan(t.api, admin.token);
    for (let i = 0; i < 3; i++) await createApiKey(t.api, tenant, 'live', `Key ${i}`);
    for (let i = 0; i < 3; i++) await addCard(t.api, tenant);
    const asTenant = as(tenant);
    await subscribe(t.api, tenant, planId);
    expect((await t.api.post('/v1/subscription/cancel', { atPeriodEnd: false }, asTenant)).status).toBe(200);
    await subscribe(t.api, tenant, planId);
    for (let i = 0; i < 3; i++) {
      const invite = { email: `invitee-${i}@cursor.test`, role: 'tenant_user' };
      expect((await t.api.post('/v1/members', invite, asTenant)).status).toBe(202);
    }
    for (let i = 0; i < 3; i++) {
      const user = await registerUser(t.api);
      await ownerQuery(
        t,
        `insert into memberships (id, tenant_id, user_id, role, created_at) values ($1, $2, $3, 'tenant_user', now())`,
        [crypto.randomUUID(), tenant.tenantId, user.userId],
      );
      await ownerQuery(
        t,
        `insert into notifications (id, tenant_id, kind, message, created_at) values ($1, $2, 'limit_warning', 'n', now())`,
        [crypto.randomUUID(), tenant.tenantId],
      );
    }
    // One millisecond for every row, microseconds apart, in an order unrelated to the ids.
    for (const table of [
      'tenants',
      'memberships',
      'plans',
      'plan_versions',
      'policies',
      'api_keys',
      'notifications',
      'payment_methods',
      'invoices',
      'payments',
      'subscriptions',
      'audit_logs',
      'invitations',
    ]) {
      await ownerQuery(
        t,
        `update ${table} t set created_at = timestamptz '2026-11-30 12:00:00.123' + (n.i % 7) * interval '1 microsecond'
           from (select id, row_number() over (order by md5(id::text)) as i from ${table}) n where n.id = t.id`,
      );
    }
  }, 60_000);
  afterAll(() => t.close());

  const walk = async (path: string, token: string, tenantId?: string) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 200; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const query: string = `${sep}limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res: { status: number; body: any } = await t.api.get(`${path}${query}`, { token, tenant: tenantId });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      ids.push(...res.body.data.map((row: { id?: string; userId?: string }) => row.id ?? row.userId));
      cursor = res.body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error(`${path}: no last page after 200 pages`);
  };

  const everything = async (path: string, token: string, tenantId?: string) => {
    const res = await t.api.get(`${path}${path.includes('?') ? '&' : '?'}limit=100`, { token, tenant: tenantId });
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    return res.body.data.map((row: { id?: string; userId?: string }) => row.id ?? row.userId);
  };

  /** Every list route, with who may read it. */
  const lists = (): [string, string, string?][] => [
    ['/v1/plans', admin.token],
    [`/v1/plans/${planId}/versions`, admin.token],
    ['/v1/policies', admin.token],
    ['/v1/admin/tenants', admin.token],
    ['/v1/admin/audit-logs', admin.token],
    ['/v1/members', tenant.token, tenant.tenantId],
    ['/v1/api-keys', tenant.token, tenant.tenantId],
    ['/v1/notifications', tenant.token, tenant.tenantId],
    ['/v1/payment-methods', tenant.token, tenant.tenantId],
    ['/v1/invoices', tenant.token, tenant.tenantId],
    ['/v1/payments', tenant.token, tenant.tenantId],
    ['/v1/subscriptions', tenant.token, tenant.tenantId],
    ['/v1/audit-logs', tenant.token, tenant.tenantId],
    ['/v1/invitations', tenant.token, tenant.tenantId],
  ];

  it('walks every list at limit=1 without repeats or losses', async () => {
    for (const [path, token, tenantId] of lists()) {
      const all = await everything(path, token, tenantId);
      expect({ path, many: all.length >= 2 }).toEqual({ path, many: true });
      const walked = await walk(path, token, tenantId);
      expect({ path, repeats: walked.length - new Set(walked).size }).toEqual({ path, repeats: 0 });
      // Reading the platform's audit log is itself audited: entries written during the walk may join it.
      expect({ path, walked: walked.filter((id) => all.includes(id)) }).toEqual({ path, walked: all });
    }
  }, 60_000);

  it('refuses forged, truncated and out-of-range cursors with 400 on every list', async () => {
    const first = await t.api.get('/v1/plans?limit=1', { token: admin.token });
    const [at, id] = JSON.parse(Buffer.from(first.body.nextCursor, 'base64url').toString());
    expect(at).toMatch(/^2026-11-30T12:00:00\.123\d{3}Z$/);
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      forge(['99999-01-01T00:00:00.000000Z', id]),
      forge(['+275760-09-13T00:00:00.000Z', id]),
      forge(['0000-01-01T00:00:00.000000Z', id]),
      forge(['2026-02-30T00:00:00.000000Z', id]),
      forge(['2026-11-30T12:00:00.123Z', id]),
      forge(["2026-11-30T12:00:00.123456Z'; drop table tenants; --", id]),
      forge([at, 'not-a-uuid']),
      forge({ at, id }),
      first.body.nextCursor.slice(0, -3),
      'not base64 at all!',
    ];
    for (const [path, token, tenantId] of lists()) {
      for (const cursor of forged) {
        const res = await t.api.get(`${path}?cursor=${encodeURIComponent(cursor)}`, { token, tenant: tenantId });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
    }
  }, 60_000);
});
