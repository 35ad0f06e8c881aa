import { randomUUID } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  addMember,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  fillPath,
  listRoutes,
  registerUser,
  RouteInfo,
  signInAsPlatformAdmin,
  SignedIn,
} from '../support/factories.js';

interface AuditRow {
  tenantId: string | null;
  actorUserId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
}

describe('platform admin: tenants', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  beforeAll(async () => {
    t = await startTestApp();
    routes = await listRoutes(t.api);
  });
  afterAll(() => t.close());

  const adminRoutes = () => routes.filter((r) => r.path.startsWith('/v1/admin/'));
  const tenantRoutes = () => routes.filter((r) => r.tenant);

  /** The platform's audit entries written by one request (found by the response's x-request-id). */
  const auditOf = async (admin: SignedIn, requestId: string | null): Promise<AuditRow[]> => {
    expect(requestId).toBeTruthy();
    const rows: AuditRow[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: AuditRow[]; nextCursor: string | null } } = await t.api.get(
        `/v1/admin/audit-logs?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin.token },
      );
      expect(res.status).toBe(200);
      rows.push(...res.body.data.filter((r) => r.requestId === requestId));
      cursor = res.body.nextCursor;
    } while (cursor);
    return rows.sort((a, b) => a.action.localeCompare(b.action));
  };

  it('documents the routes this suite covers', () => {
    const described = routes.map((r) => `${r.method} ${r.path}`);
    expect(described).toEqual(
      expect.arrayContaining([
        'GET /v1/admin/tenants',
        'GET /v1/admin/tenants/{id}',
        'POST /v1/admin/tenants/{id}/suspend',
        'POST /v1/admin/tenants/{id}/reactivate',
        'GET /v1/admin/audit-logs',
      ]),
    );
    expect(tenantRoutes().length).toBeGreaterThanOrEqual(7);
  });

  it('signs in with the configured platform-admin credentials', async () => {
    const admin = await createPlatformAdmin(t, {
      email: t.config.PLATFORM_ADMIN_EMAIL,
      password: t.config.PLATFORM_ADMIN_PASSWORD,
    });
    const token = await signInAsPlatformAdmin(t.api, t.config.PLATFORM_ADMIN_EMAIL, t.config.PLATFORM_ADMIN_PASSWORD);
    const me = await t.api.get('/v1/auth/me', { token });
    expect(me.body.user).toEqual({
      id: admin.userId,
      email: t.config.PLATFORM_ADMIN_EMAIL,
      name: 'Platform admin',
      isPlatformAdmin: true,
    });
    expect((await t.api.get('/v1/admin/tenants', { token })).status).toBe(200);
  });

  it('lists tenants newest first, filtered by status and paginated', async () => {
    const admin = await createPlatformAdmin(t);
    const mine = [
      await createTenantWithAdmin(t.api, 'List one'),
      await createTenantWithAdmin(t.api, 'List two'),
      await createTenantWithAdmin(t.api, 'List three'),
    ];
    await addMember(t.api, mine[1], 'tenant_user');
    expect((await t.api.post(`/v1/admin/tenants/${mine[0].tenantId}/suspend`, {}, { token: admin.token })).status).toBe(200);

    // Walk every page with limit=1: every tenant once, newest first.
    const seen: { id: string; name: string; status: string; memberCount: number; createdAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { data: typeof seen; nextCursor: string | null } } = await t.api.get(
        `/v1/admin/tenants?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin.token },
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 500);
    const [{ total }] = await ownerQuery(t, 'select count(*)::int as total from tenants');
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((s) => s.id)).size).toBe(total);
    const created = seen.map((s) => s.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const ids = seen.map((s) => s.id);
    expect(ids.indexOf(mine[2].tenantId)).toBeLessThan(ids.indexOf(mine[1].tenantId));
    expect(ids.indexOf(mine[1].tenantId)).toBeLessThan(ids.indexOf(mine[0].tenantId));
    expect(seen.find((s) => s.id === mine[1].tenantId)).toEqual({
      id: mine[1].tenantId,
      name: 'List two',
      slug: expect.any(String),
      status: 'active',
      createdAt: expect.any(String),
      memberCount: 2,
    });

    const suspended = await t.api.get('/v1/admin/tenants?status=suspended&limit=100', { token: admin.token });
    expect(suspended.status).toBe(200);
    expect(suspended.body.data.every((s: { status: string }) => s.status === 'suspended')).toBe(true);
    expect(suspended.body.data.map((s: { id: string }) => s.id)).toContain(mine[0].tenantId);
    const active = await t.api.get('/v1/admin/tenants?status=active&limit=100', { token: admin.token });
    const activeIds = active.body.data.map((s: { id: string }) => s.id);
    expect(activeIds).toEqual(expect.arrayContaining([mine[1].tenantId, mine[2].tenantId]));
    expect(activeIds).not.toContain(mine[0].tenantId);

    for (const query of ['status=deleted', 'limit=0', 'limit=101', 'cursor=not-a-cursor', 'foo=bar']) {
      expectProblem(await t.api.get(`/v1/admin/tenants?${query}`, { token: admin.token }), 400, 'validation_failed');
    }
  });

  it('reads one tenant; unknown is 404, a bad id 400', async () => {
    const admin = await createPlatformAdmin(t);
    const tenant = await createTenantWithAdmin(t.api, 'Readable');
    const res = await t.api.get(`/v1/admin/tenants/${tenant.tenantId}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: tenant.tenantId,
      name: 'Readable',
      slug: expect.any(String),
      status: 'active',
      createdAt: expect.any(String),
      memberCount: 1,
    });
    expectProblem(await t.api.get(`/v1/admin/tenants/${randomUUID()}`, { token: admin.token }), 404, 'not_found');
    const bad = await t.api.get('/v1/admin/tenants/nope', { token: admin.token });
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);
    for (const action of ['suspend', 'reactivate']) {
      expectProblem(
        await t.api.post(`/v1/admin/tenants/${randomUUID()}/${action}`, {}, { token: admin.token }),
        404,
        'not_found',
      );
      expectProblem(await t.api.post(`/v1/admin/tenants/nope/${action}`, {}, { token: admin.token }), 400, 'validation_failed');
    }
  });

  it('suspends: members get 403 tenant_suspended on every T route, the platform admin still gets through; reactivates', async () => {
    const admin = await createPlatformAdmin(t);
    const tenant = await createTenantWithAdmin(t.api, 'Suspendable');
    const user = await addMember(t.api, tenant, 'tenant_user');
    const outsider = await registerUser(t.api, 'outsider');

    const suspended = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/suspend`, {}, { token: admin.token });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ id: tenant.tenantId, status: 'suspended', memberCount: 2 });

    const bodies: Record<string, unknown> = {
      POST: { email: outsider.email, role: 'tenant_user' },
      PATCH: { name: 'x', role: 'tenant_user' },
    };
    for (const route of tenantRoutes()) {
      for (const [who, member] of [
        ['admin', tenant],
        ['user', user],
      ] as const) {
        for (const header of [tenant.tenantId, undefined]) {
          const res = await t.api.request(route.method, fillPath(route.path, user.userId), bodies[route.method], {
            token: member.token,
            tenant: header,
          });
          expect({
            route: `${route.method} ${route.path}`,
            who,
            header: !!header,
            status: res.status,
            code: res.body?.code,
          }).toEqual({
            route: `${route.method} ${route.path}`,
            who,
            header: !!header,
            status: 403,
            code: 'tenant_suspended',
          });
        }
      }
    }
    // Routes outside the tenant still answer: the members can see where they stand.
    const me = await t.api.get('/v1/auth/me', { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body.memberships).toEqual([{ tenantId: tenant.tenantId, tenantName: 'Suspendable', role: 'tenant_user' }]);
    // Nothing was changed by the refused writes.
    const [{ count }] = await ownerQuery(t, 'select count(*)::int as count from memberships where tenant_id = $1', [
      tenant.tenantId,
    ]);
    expect(count).toBe(2);

    // The platform admin is not refused.
    const asAdmin = { token: admin.token, tenant: tenant.tenantId };
    expect((await t.api.get('/v1/tenant', asAdmin)).body).toMatchObject({ id: tenant.tenantId, status: 'suspended' });
    expect((await t.api.get('/v1/members', asAdmin)).body.data).toHaveLength(2);
    expect((await t.api.get('/v1/audit-logs', asAdmin)).status).toBe(200);
    expect((await t.api.get(`/v1/admin/tenants/${tenant.tenantId}`, { token: admin.token })).body.status).toBe('suspended');

    const twice = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/suspend`, {}, { token: admin.token });
    expectProblem(twice, 409, 'invalid_transition');

    const reactivated = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/reactivate`, {}, { token: admin.token });
    expect(reactivated.status).toBe(200);
    expect(reactivated.body).toMatchObject({ id: tenant.tenantId, status: 'active' });
    expectProblem(
      await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/reactivate`, {}, { token: admin.token }),
      409,
      'invalid_transition',
    );
    expect((await t.api.get('/v1/tenant', { token: user.token })).body).toMatchObject({ id: tenant.tenantId, status: 'active' });
    expect((await t.api.get('/v1/members', { token: tenant.token })).status).toBe(200);
  });

  it('suspends a tenant once when two suspensions race (the other is 409 invalid_transition)', async () => {
    const admin = await createPlatformAdmin(t);
    for (let round = 0; round < 3; round++) {
      const tenant = await createTenantWithAdmin(t.api);
      const results = await Promise.all([
        t.api.post(`/v1/admin/tenants/${tenant.tenantId}/suspend`, {}, { token: admin.token }),
        t.api.post(`/v1/admin/tenants/${tenant.tenantId}/suspend`, {}, { token: admin.token }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expectProblem(
        results.find((r) => r.status === 409)!,
        409,
        'invalid_transition',
      );
      const rows = await ownerQuery(
        t,
        `select count(*)::int as n from audit_logs where tenant_id = $1 and action = 'tenant.suspended'`,
        [tenant.tenantId],
      );
      expect(rows[0].n).toBe(1);
    }
  });

  it('refuses non-admins on every /v1/admin/* route (403), and anonymous callers (401)', async () => {
    const tenantAdmin = await createTenantWithAdmin(t.api, 'Not a platform');
    const plain = await registerUser(t.api);
    const target = await createTenantWithAdmin(t.api, 'Target');
    const before = await ownerQuery(t, 'select status from tenants where id = $1', [target.tenantId]);
    expect(adminRoutes().length).toBeGreaterThanOrEqual(5);
    for (const route of adminRoutes()) {
      const path = fillPath(route.path, target.tenantId);
      for (const caller of [tenantAdmin, plain]) {
        for (const tenant of [undefined, tenantAdmin.tenantId]) {
          const res = await t.api.request(route.method, path, route.method === 'GET' ? undefined : {}, {
            token: caller.token,
            tenant,
          });
          expect({ route: `${route.method} ${route.path}`, status: res.status, code: res.body?.code }).toEqual({
            route: `${route.method} ${route.path}`,
            status: 403,
            code: 'forbidden',
          });
          expect(JSON.stringify(res.body)).not.toContain('Target');
        }
      }
      const anonymous = await t.api.request(route.method, path, route.method === 'GET' ? undefined : {});
      expect({ route: `${route.method} ${route.path}`, status: anonymous.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
      });
    }
    expect(await ownerQuery(t, 'select status from tenants where id = $1', [target.tenantId])).toEqual(before);
  });

  it('records each admin action and cross-tenant read in /v1/admin/audit-logs', async () => {
    const admin = await createPlatformAdmin(t);
    const tenant = await createTenantWithAdmin(t.api, 'Watched');

    const list = await t.api.get('/v1/admin/tenants', { token: admin.token });
    const read = await t.api.get(`/v1/admin/tenants/${tenant.tenantId}`, { token: admin.token });
    const suspend = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/suspend`, {}, { token: admin.token });
    const reactivate = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/reactivate`, {}, { token: admin.token });
    const filtered = await t.api.get(`/v1/admin/audit-logs?tenantId=${tenant.tenantId}`, { token: admin.token });
    for (const res of [list, read, suspend, reactivate, filtered]) expect(res.status).toBe(200);

    const by = { actorUserId: admin.userId };
    expect(await auditOf(admin, list.headers.get('x-request-id'))).toEqual([
      {
        ...by,
        action: 'platform.tenants.read',
        tenantId: null,
        targetType: 'tenant',
        targetId: null,
        before: null,
        after: null,
        requestId: list.headers.get('x-request-id'),
        id: expect.any(String),
        createdAt: expect.any(String),
      },
    ]);
    expect(await auditOf(admin, read.headers.get('x-request-id'))).toEqual([
      expect.objectContaining({
        ...by,
        action: 'platform.tenant.read',
        tenantId: tenant.tenantId,
        targetType: 'tenant',
        targetId: tenant.tenantId,
      }),
    ]);
    expect(await auditOf(admin, suspend.headers.get('x-request-id'))).toEqual([
      expect.objectContaining({ ...by, action: 'platform.tenant.suspend', tenantId: tenant.tenantId, targetId: tenant.tenantId }),
      expect.objectContaining({
        ...by,
        action: 'tenant.suspended',
        tenantId: tenant.tenantId,
        targetType: 'tenant',
        targetId: tenant.tenantId,
        before: { status: 'active' },
        after: { status: 'suspended' },
      }),
    ]);
    expect(await auditOf(admin, reactivate.headers.get('x-request-id'))).toEqual([
      expect.objectContaining({ ...by, action: 'platform.tenant.reactivate', tenantId: tenant.tenantId }),
      expect.objectContaining({
        ...by,
        action: 'tenant.reactivated',
        before: { status: 'suspended' },
        after: { status: 'active' },
      }),
    ]);
    expect(await auditOf(admin, filtered.headers.get('x-request-id'))).toEqual([
      expect.objectContaining({
        ...by,
        action: 'platform.audit-logs.read',
        tenantId: tenant.tenantId,
        targetId: tenant.tenantId,
      }),
    ]);

    // The tenant filter shows this tenant only, newest first, including the platform's visits
    // (the listing's own entry may be among them: it is written in the same transaction).
    const actions = filtered.body.data
      .filter((r: AuditRow) => r.requestId !== filtered.headers.get('x-request-id'))
      .map((r: AuditRow) => r.action);
    expect(filtered.body.data.every((r: AuditRow) => r.tenantId === tenant.tenantId)).toBe(true);
    expect(actions).toEqual([
      'tenant.reactivated',
      'platform.tenant.reactivate',
      'tenant.suspended',
      'platform.tenant.suspend',
      'platform.tenant.read',
      'tenant.created',
    ]);
    const byAction = await t.api.get(`/v1/admin/audit-logs?action=tenant.suspended&tenantId=${tenant.tenantId}`, {
      token: admin.token,
    });
    expect(byAction.body.data.map((r: AuditRow) => r.action)).toEqual(['tenant.suspended']);

    // The tenant's own admins see who from the platform touched their tenant.
    const own = await t.api.get('/v1/audit-logs?limit=100', { token: tenant.token });
    expect(own.body.data.map((r: AuditRow) => r.action)).toEqual(
      expect.arrayContaining(['tenant.suspended', 'platform.tenant.read']),
    );

    // A refused admin action leaves no trace.
    const refused = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/reactivate`, {}, { token: admin.token });
    expectProblem(refused, 409, 'invalid_transition');
    expect(await auditOf(admin, refused.headers.get('x-request-id'))).toEqual([]);
  });

  // Known gap outside this module: a platform admin who is not a member may act in any tenant through
  // X-Tenant-Id (API.md allows it), but that cross-tenant access is not recorded anywhere
  // (src/common/auth/access.guard.ts / src/common/transaction/unit-of-work.interceptor.ts).
  // Flip to `it` once the unit of work audits it.
  it("records a platform admin's read of a tenant through X-Tenant-Id", async () => {
    const admin = await createPlatformAdmin(t);
    const tenant = await createTenantWithAdmin(t.api, 'Looked at');
    const res = await t.api.get('/v1/members', { token: admin.token, tenant: tenant.tenantId });
    expect(res.status).toBe(200);
    const rows = await auditOf(admin, res.headers.get('x-request-id'));
    expect(rows).toEqual([
      expect.objectContaining({
        actorUserId: admin.userId,
        tenantId: tenant.tenantId,
        action: expect.stringMatching(/^platform\./),
      }),
    ]);
  });

  it('filters the platform audit log by a tenant that does not exist without failing', async () => {
    const admin = await createPlatformAdmin(t);
    const res = await t.api.get(`/v1/admin/audit-logs?tenantId=${randomUUID()}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
    expectProblem(await t.api.get('/v1/admin/audit-logs?tenantId=nope', { token: admin.token }), 400, 'validation_failed');
  });
});
