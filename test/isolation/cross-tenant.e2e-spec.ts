import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  addMember,
  createTenantWithAdmin,
  expectProblem,
  fillPath,
  listRoutes,
  registerUser,
  RouteInfo,
  invite,
  SignedIn,
  TenantWithAdmin,
} from '../support/factories.js';

/** The tenant-scoped routes of the tenancy and audit issue; the app's own route list must contain them all. */
const ISSUE_ROUTES = [
  'GET /v1/tenant',
  'PATCH /v1/tenant',
  'GET /v1/members',
  'POST /v1/members',
  'PATCH /v1/members/{userId}',
  'DELETE /v1/members/{userId}',
  'GET /v1/invitations',
  'DELETE /v1/invitations/{id}',
  'GET /v1/audit-logs',
];

describe('cross-tenant isolation over HTTP', () => {
  let t: TestApp;
  let tenantRoutes: RouteInfo[];
  beforeAll(async () => {
    t = await startTestApp();
    tenantRoutes = (await listRoutes(t.api)).filter((r) => r.tenant);
  });
  afterAll(() => t.close());

  interface World {
    a: TenantWithAdmin;
    aUser: SignedIn;
    b: TenantWithAdmin;
    bUser: SignedIn;
    outsider: SignedIn;
    /** Strings that only tenant A's data contains. */
    secrets: string[];
  }

  async function world(): Promise<World> {
    const a = await createTenantWithAdmin(t.api, 'Alpha Secret Corp');
    const aUser = await addMember(t.api, a, 'tenant_user');
    const b = await createTenantWithAdmin(t.api, 'Bravo');
    const bUser = await addMember(t.api, b, 'tenant_user');
    const outsider = await registerUser(t.api, 'outsider');
    const [{ slug }] = await ownerQuery(t, 'select slug from tenants where id = $1', [a.tenantId]);
    return { a, aUser, b, bUser, outsider, secrets: ['Alpha Secret Corp', slug, a.email, aUser.email, a.userId, aUser.userId] };
  }

  /** Everything of A that a cross-tenant call could change, read as the owner. */
  const snapshotOf = async (tenantId: string) => ({
    tenant: await ownerQuery(t, 'select name, status, updated_at from tenants where id = $1', [tenantId]),
    members: await ownerQuery(t, 'select user_id, role from memberships where tenant_id = $1 order by user_id', [tenantId]),
    audit: await ownerQuery(t, 'select id from audit_logs where tenant_id = $1 order by id', [tenantId]),
  });

  const bodyFor = (route: RouteInfo, w: World) =>
    route.method === 'GET' || route.method === 'DELETE'
      ? undefined
      : route.path === '/v1/members'
        ? { email: w.outsider.email, role: 'tenant_admin' }
        : { name: 'Owned by B', role: 'tenant_admin' };

  it('covers every tenant-scoped route of the issue', () => {
    expect(tenantRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(ISSUE_ROUTES));
  });

  it("refuses B's admin and B's user on every T route when they name tenant A (403 forbidden, no A data)", async () => {
    const w = await world();
    const before = await snapshotOf(w.a.tenantId);
    for (const route of tenantRoutes) {
      for (const [who, caller] of [
        ['B admin', w.b],
        ['B user', w.bUser],
        ['no tenant', w.outsider],
      ] as const) {
        // Path ids: A's own member ids, the most tempting target.
        for (const target of [w.aUser.userId, w.a.userId]) {
          const res = await t.api.request(route.method, fillPath(route.path, target), bodyFor(route, w), {
            token: caller.token,
            tenant: w.a.tenantId,
          });
          const label = `${who}: ${route.method} ${route.path}`;
          expect({ label, status: res.status, code: res.body?.code }).toEqual({ label, status: 403, code: 'forbidden' });
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          const text = JSON.stringify(res.body);
          for (const secret of w.secrets)
            expect({ label, leaks: text.includes(secret) ? secret : null }).toEqual({ label, leaks: null });
          if (!route.path.includes('{')) break; // one call is enough when the path has no id
        }
      }
    }
    expect(await snapshotOf(w.a.tenantId)).toEqual(before);
    // The outsider was not added anywhere.
    expect(await ownerQuery(t, 'select tenant_id from memberships where user_id = $1', [w.outsider.userId])).toEqual([]);
  });

  it("answers 404 when B's admin targets A's members from B's own context, and A is unchanged", async () => {
    const w = await world();
    const before = await snapshotOf(w.a.tenantId);
    const aMembersBefore = await t.api.get('/v1/members', { token: w.a.token });
    const aAuditBefore = await t.api.get('/v1/audit-logs?limit=100', { token: w.a.token });
    const bAuditBefore = await t.api.get('/v1/audit-logs?limit=100', { token: w.b.token });

    for (const target of [w.a, w.aUser]) {
      for (const role of ['tenant_user', 'tenant_admin']) {
        const res = await t.api.patch(`/v1/members/${target.userId}`, { role }, { token: w.b.token, tenant: w.b.tenantId });
        expectProblem(res, 404, 'not_found');
        for (const secret of w.secrets.filter((s) => s !== target.userId)) expect(JSON.stringify(res.body)).not.toContain(secret);
      }
      expectProblem(
        await t.api.delete(`/v1/members/${target.userId}`, { token: w.b.token, tenant: w.b.tenantId }),
        404,
        'not_found',
      );
    }

    // B's own views never show A.
    const bMembers = await t.api.get('/v1/members?limit=100', { token: w.b.token, tenant: w.b.tenantId });
    expect(bMembers.body.data.map((m: { userId: string }) => m.userId).sort()).toEqual([w.b.userId, w.bUser.userId].sort());
    const bTenant = await t.api.get('/v1/tenant', { token: w.b.token, tenant: w.b.tenantId });
    expect(bTenant.body).toMatchObject({ id: w.b.tenantId, name: 'Bravo' });
    const bAudit = await t.api.get('/v1/audit-logs?limit=100', { token: w.b.token, tenant: w.b.tenantId });
    expect(bAudit.body.data.every((r: { tenantId: string }) => r.tenantId === w.b.tenantId)).toBe(true);
    for (const text of [JSON.stringify(bMembers.body), JSON.stringify(bTenant.body), JSON.stringify(bAudit.body)]) {
      for (const secret of w.secrets) expect(text).not.toContain(secret);
    }
    // The refused calls wrote nothing in B's log either.
    expect(bAudit.body).toEqual(bAuditBefore.body);

    // A is unchanged: members and audit, through the API and in the database.
    expect(await t.api.get('/v1/members', { token: w.a.token })).toMatchObject({ status: 200, body: aMembersBefore.body });
    expect((await t.api.get('/v1/audit-logs?limit=100', { token: w.a.token })).body).toEqual(aAuditBefore.body);
    expect(await snapshotOf(w.a.tenantId)).toEqual(before);
  });

  it("keeps a user's memberships apart: a member of both sees each tenant only under its own X-Tenant-Id", async () => {
    const w = await world();
    // B's admin invites A's user, who accepts: legitimate, and it must not open A to B.
    const invitation = await invite(t.api, w.b, w.aUser.email, 'tenant_admin');
    expect(
      (await t.api.post(`/v1/invitations/${invitation.invitationId}/accept`, undefined, { token: w.aUser.token })).status,
    ).toBe(200);
    const inB = await t.api.get('/v1/members?limit=100', { token: w.aUser.token, tenant: w.b.tenantId });
    expect(inB.body.data.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [w.b.userId, w.bUser.userId, w.aUser.userId].sort(),
    );
    // Admin in B, user in A: no write in A.
    expectProblem(
      await t.api.patch('/v1/tenant', { name: 'Nope' }, { token: w.aUser.token, tenant: w.a.tenantId }),
      403,
      'forbidden',
    );
    // B's admin still cannot see A.
    expectProblem(await t.api.get('/v1/members', { token: w.b.token, tenant: w.a.tenantId }), 403, 'forbidden');
    // Removing A's user from B does not touch their membership in A.
    expect((await t.api.delete(`/v1/members/${w.aUser.userId}`, { token: w.b.token, tenant: w.b.tenantId })).status).toBe(204);
    const aMembers = await t.api.get('/v1/members', { token: w.a.token, tenant: w.a.tenantId });
    expect(aMembers.body.data.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      [w.a.userId, 'tenant_admin'],
      [w.aUser.userId, 'tenant_user'],
    ]);
  });
});
