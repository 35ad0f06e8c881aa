import { randomUUID } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { ApiResponse } from '../support/client.js';
import {
  as,
  addMember,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  PASSWORD,
  registerUser,
  uniqueEmail,
} from '../support/factories.js';

interface AuditDbRow {
  tenant_id: string | null;
  actor_user_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
  txid: string;
}

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const requestIdOf = (res: ApiResponse) => {
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[\w.:-]{1,128}$/);
    return id!;
  };

  /** The audit rows one request wrote (by the response's x-request-id), with the writing transaction. */
  const auditRowsOf = (res: ApiResponse) =>
    ownerQuery<AuditDbRow>(
      t,
      `select tenant_id, actor_user_id, action, target_type, target_id, before, after, request_id, xmin::text as txid
         from audit_logs where request_id = $1 order by action`,
      [requestIdOf(res)],
    );

  /** The one non-platform audit row of a request: exactly one, carrying that request's id. */
  async function theEntryOf(res: ApiResponse): Promise<AuditDbRow> {
    const rows = (await auditRowsOf(res)).filter((r) => !r.action.startsWith('platform.'));
    expect(rows.map((r) => r.action)).toHaveLength(1);
    expect(rows[0].request_id).toBe(res.headers.get('x-request-id'));
    return rows[0];
  }

  /** The transaction that last wrote a row: the audit entry must share it with the change it records. */
  const txOf = async (table: string, where: string, params: unknown[]) => {
    const rows = await ownerQuery<{ txid: string }>(t, `select xmin::text as txid from ${table} where ${where}`, params);
    expect(rows).toHaveLength(1);
    return rows[0].txid;
  };

  const countAll = async () => (await ownerQuery<{ n: number }>(t, 'select count(*)::int as n from audit_logs'))[0].n;

  describe('every mutation writes one entry, in its own transaction', () => {
    it('user.registered', async () => {
      const email = uniqueEmail();
      const res = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Reg' });
      expect(res.status).toBe(201);
      const userId = res.body.user.id;
      const entry = await theEntryOf(res);
      expect(entry).toEqual({
        tenant_id: null,
        actor_user_id: userId,
        action: 'user.registered',
        target_type: 'user',
        target_id: userId,
        before: null,
        after: { id: userId, email, name: 'Reg', isPlatformAdmin: false },
        request_id: requestIdOf(res),
        txid: await txOf('users', 'id = $1', [userId]),
      });
      expect(JSON.stringify(entry)).not.toContain(PASSWORD);
    });

    it('tenant.created', async () => {
      const user = await registerUser(t.api);
      const res = await t.api.post('/v1/tenants', { name: 'Audited' }, { token: user.token });
      expect(res.status).toBe(201);
      const entry = await theEntryOf(res);
      expect(entry).toEqual({
        tenant_id: res.body.id,
        actor_user_id: user.userId,
        action: 'tenant.created',
        target_type: 'tenant',
        target_id: res.body.id,
        before: null,
        after: res.body,
        request_id: requestIdOf(res),
        txid: await txOf('tenants', 'id = $1', [res.body.id]),
      });
      expect(entry.txid).toBe(await txOf('memberships', 'tenant_id = $1', [res.body.id]));
    });

    it('tenant.renamed', async () => {
      const admin = await createTenantWithAdmin(t.api, 'Before');
      const before = (await t.api.get('/v1/tenant', { token: admin.token })).body;
      const res = await t.api.patch('/v1/tenant', { name: 'After' }, { token: admin.token, tenant: admin.tenantId });
      expect(res.status).toBe(200);
      expect(await theEntryOf(res)).toEqual({
        tenant_id: admin.tenantId,
        actor_user_id: admin.userId,
        action: 'tenant.renamed',
        target_type: 'tenant',
        target_id: admin.tenantId,
        before,
        after: res.body,
        request_id: requestIdOf(res),
        txid: await txOf('tenants', 'id = $1', [admin.tenantId]),
      });
      expect(before.name).toBe('Before');
      expect(res.body.name).toBe('After');
    });

    it('invitation.created, invitation.accepted, member.role_changed, member.removed', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const user = await registerUser(t.api, 'joiner');
      const asAdmin = as(admin);
      const common = { tenant_id: admin.tenantId, actor_user_id: admin.userId, target_type: 'user', target_id: user.userId };

      const invited = await t.api.post('/v1/members', { email: user.email, role: 'tenant_user' }, asAdmin);
      expect(invited.status).toBe(202);
      const invitation = (await t.api.get('/v1/invitations', asAdmin)).body.data[0];
      expect(await theEntryOf(invited)).toEqual({
        ...common,
        target_type: 'invitation',
        target_id: invited.body.invitationId,
        action: 'invitation.created',
        before: null,
        after: invitation,
        request_id: requestIdOf(invited),
        txid: await txOf('invitations', 'id = $1', [invited.body.invitationId]),
      });

      // The invitee accepts: the entry is the tenant's, with the invitee as actor and the new member as target.
      const accepted = await t.api.post(`/v1/invitations/${invited.body.invitationId}/accept`, undefined, { token: user.token });
      expect(accepted.status).toBe(200);
      const membership = 'tenant_id = $1 and user_id = $2';
      const added = { body: (await t.api.get('/v1/members', asAdmin)).body.data.find((m: any) => m.userId === user.userId) };
      expect(await theEntryOf(accepted)).toEqual({
        ...common,
        actor_user_id: user.userId,
        action: 'invitation.accepted',
        before: invitation,
        after: { ...added.body, invitationId: invited.body.invitationId },
        request_id: requestIdOf(accepted),
        txid: await txOf('memberships', membership, [admin.tenantId, user.userId]),
      });
      expect(await txOf('invitations', 'id = $1', [invited.body.invitationId])).toBe(
        await txOf('memberships', membership, [admin.tenantId, user.userId]),
      );

      const changed = await t.api.patch(`/v1/members/${user.userId}`, { role: 'tenant_admin' }, asAdmin);
      expect(changed.status).toBe(200);
      expect(await theEntryOf(changed)).toEqual({
        ...common,
        action: 'member.role_changed',
        before: added.body,
        after: { ...added.body, role: 'tenant_admin' },
        request_id: requestIdOf(changed),
        txid: await txOf('memberships', membership, [admin.tenantId, user.userId]),
      });

      const removed = await t.api.delete(`/v1/members/${user.userId}`, asAdmin);
      expect(removed.status).toBe(204);
      expect(await theEntryOf(removed)).toEqual({
        ...common,
        action: 'member.removed',
        before: { ...added.body, role: 'tenant_admin' },
        after: null,
        request_id: requestIdOf(removed),
        txid: expect.any(String),
      });
      expect(await ownerQuery(t, `select 1 from memberships where ${membership}`, [admin.tenantId, user.userId])).toEqual([]);
    });

    it('tenant.suspended and tenant.reactivated (with the platform access beside them)', async () => {
      const platform = await createPlatformAdmin(t);
      const tenant = await createTenantWithAdmin(t.api);
      for (const [action, from, to] of [
        ['suspend', 'active', 'suspended'],
        ['reactivate', 'suspended', 'active'],
      ] as const) {
        const res = await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/${action}`, {}, { token: platform.token });
        expect(res.status).toBe(200);
        const txid = await txOf('tenants', 'id = $1', [tenant.tenantId]);
        const common = {
          tenant_id: tenant.tenantId,
          actor_user_id: platform.userId,
          target_type: 'tenant',
          target_id: tenant.tenantId,
          request_id: requestIdOf(res),
          txid,
        };
        expect(await auditRowsOf(res)).toEqual([
          { ...common, action: `platform.tenant.${action}`, before: null, after: null },
          {
            ...common,
            action: `tenant.${to === 'suspended' ? 'suspended' : 'reactivated'}`,
            before: { status: from },
            after: { status: to },
          },
        ]);
      }
    });

    it('user.password_changed and session.logged_out', async () => {
      const user = await registerUser(t.api);
      const changed = await t.api.post(
        '/v1/auth/password',
        { currentPassword: PASSWORD, newPassword: 'another-long-password' },
        { token: user.token },
      );
      expect(changed.status).toBe(204);
      expect(await theEntryOf(changed)).toEqual({
        tenant_id: null,
        actor_user_id: user.userId,
        action: 'user.password_changed',
        target_type: 'user',
        target_id: user.userId,
        before: null,
        after: null,
        request_id: requestIdOf(changed),
        txid: await txOf('users', 'id = $1', [user.userId]),
      });

      const [{ id: sessionId }] = await ownerQuery(t, 'select id from sessions where user_id = $1', [user.userId]);
      const out = await t.api.post('/v1/auth/logout', undefined, { token: user.token });
      expect(out.status).toBe(204);
      expect(await theEntryOf(out)).toEqual({
        tenant_id: null,
        actor_user_id: user.userId,
        action: 'session.logged_out',
        target_type: 'session',
        target_id: sessionId,
        before: null,
        after: null,
        request_id: requestIdOf(out),
        txid: await txOf('sessions', 'id = $1', [sessionId]),
      });
    });

    it('uses the caller-supplied X-Request-Id when it is well formed', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const requestId = `client-${Date.now()}`;
      const res = await t.api.patch(
        '/v1/tenant',
        { name: 'Traced' },
        { token: admin.token, headers: { 'x-request-id': requestId } },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe(requestId);
      expect((await theEntryOf(res)).action).toBe('tenant.renamed');
    });
  });

  it('writes nothing for a failed mutation', async () => {
    const platform = await createPlatformAdmin(t);
    const admin = await createTenantWithAdmin(t.api);
    const user = await addMember(t.api, admin, 'tenant_user');
    const asAdmin = as(admin);
    const total = await countAll();

    const failures: [ApiResponse, number, string][] = [
      [await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_user' }, asAdmin), 409, 'conflict'],
      [await t.api.delete(`/v1/members/${admin.userId}`, asAdmin), 409, 'conflict'],
      [await t.api.post(`/v1/invitations/${randomUUID()}/accept`, undefined, { token: user.token }), 404, 'not_found'],
      [await t.api.delete(`/v1/invitations/${randomUUID()}`, asAdmin), 404, 'not_found'],
      [await t.api.post('/v1/members', { email: user.email, role: 'boss' }, asAdmin), 400, 'validation_failed'],
      [await t.api.patch('/v1/tenant', { name: '' }, asAdmin), 400, 'validation_failed'],
      [await t.api.patch('/v1/tenant', { name: 'By a user' }, { token: user.token }), 403, 'forbidden'],
      [await t.api.post('/v1/tenants', { name: '' }, { token: user.token }), 400, 'validation_failed'],
      [
        await t.api.post(`/v1/admin/tenants/${admin.tenantId}/reactivate`, {}, { token: platform.token }),
        409,
        'invalid_transition',
      ],
      [
        await t.api.post(
          '/v1/auth/password',
          { currentPassword: 'wrong-password!', newPassword: 'another-long-password' },
          { token: user.token },
        ),
        400,
        'validation_failed',
      ],
      [await t.api.post('/v1/auth/register', { email: user.email, password: PASSWORD, name: 'Dup' }), 409, 'conflict'],
    ];
    for (const [res, status, code] of failures) {
      expectProblem(res, status, code);
      expect({ requestId: requestIdOf(res), rows: await auditRowsOf(res) }).toEqual({ requestId: requestIdOf(res), rows: [] });
    }
    expect(await countAll()).toBe(total);
    expect((await t.api.get('/v1/members', asAdmin)).body.data.map((m: { role: string }) => m.role)).toEqual([
      'tenant_admin',
      'tenant_user',
    ]);
  });

  it('writes nothing for a write that changes nothing', async () => {
    const admin = await createTenantWithAdmin(t.api, 'Same');
    const user = await addMember(t.api, admin, 'tenant_user');
    const asAdmin = as(admin);
    const total = await countAll();
    const noops = [
      await t.api.patch('/v1/tenant', { name: 'Same' }, asAdmin),
      await t.api.patch(`/v1/members/${user.userId}`, { role: 'tenant_user' }, asAdmin),
      // Even for the last admin: keeping the role is not a demotion.
      await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_admin' }, asAdmin),
    ];
    expect(noops.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(noops[0].body).toMatchObject({ id: admin.tenantId, name: 'Same' });
    expect(noops[1].body).toMatchObject({ userId: user.userId, role: 'tenant_user' });
    expect(noops[2].body).toMatchObject({ userId: admin.userId, role: 'tenant_admin' });
    expect(await countAll()).toBe(total);
  });

  describe('GET /v1/audit-logs', () => {
    it('is for tenant_admins only', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const user = await addMember(t.api, admin, 'tenant_user');
      expectProblem(await t.api.get('/v1/audit-logs', { token: user.token }), 403, 'forbidden');
      expectProblem(await t.api.get('/v1/audit-logs', { token: user.token, tenant: admin.tenantId }), 403, 'forbidden');
      expectProblem(await t.api.get('/v1/audit-logs', { tenant: admin.tenantId }), 401, 'unauthenticated');
      const ok = await t.api.get('/v1/audit-logs', { token: admin.token });
      expect(ok.status).toBe(200);
      expect(ok.body.data.map((r: { action: string }) => r.action)).toEqual([
        'invitation.accepted',
        'invitation.created',
        'tenant.created',
      ]);
      expect(ok.body.data[0]).toEqual({
        id: expect.any(String),
        tenantId: admin.tenantId,
        actorUserId: user.userId,
        action: 'invitation.accepted',
        targetType: 'user',
        targetId: user.userId,
        before: expect.objectContaining({ email: user.email, status: 'pending' }),
        after: expect.objectContaining({ userId: user.userId, role: 'tenant_user' }),
        requestId: expect.any(String),
        createdAt: expect.any(String),
      });
      // Promoted, the same user may read it.
      await t.api.patch(`/v1/members/${user.userId}`, { role: 'tenant_admin' }, { token: admin.token });
      expect((await t.api.get('/v1/audit-logs', { token: user.token })).status).toBe(200);
    });

    it('shows only the tenant’s own entries, newest first, paginated and filterable by action', async () => {
      const admin = await createTenantWithAdmin(t.api, 'Paged');
      const other = await createTenantWithAdmin(t.api, 'Other');
      await t.api.patch('/v1/tenant', { name: 'Other renamed' }, { token: other.token });
      const asAdmin = as(admin);
      for (let i = 0; i < 3; i++) await t.api.patch('/v1/tenant', { name: `Paged ${i}` }, asAdmin);
      await addMember(t.api, admin, 'tenant_user');
      const expected = [
        'invitation.accepted',
        'invitation.created',
        'tenant.renamed',
        'tenant.renamed',
        'tenant.renamed',
        'tenant.created',
      ];

      const seen: { id: string; action: string; tenantId: string; createdAt: string; after: { name?: string } }[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const page: ApiResponse = await t.api.get(`/v1/audit-logs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, asAdmin);
        expect(page.status).toBe(200);
        sizes.push(page.body.data.length);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
      } while (cursor && sizes.length < 10);
      expect(sizes).toEqual([2, 2, 2]);
      expect(seen.map((r) => r.action)).toEqual(expected);
      expect(new Set(seen.map((r) => r.id)).size).toBe(expected.length);
      expect(seen.every((r) => r.tenantId === admin.tenantId)).toBe(true);
      expect(seen.filter((r) => r.action === 'tenant.renamed').map((r) => r.after.name)).toEqual([
        'Paged 2',
        'Paged 1',
        'Paged 0',
      ]);
      const times = seen.map((r) => r.createdAt);
      expect([...times].sort().reverse()).toEqual(times);

      const renamed = await t.api.get('/v1/audit-logs?action=tenant.renamed&limit=100', asAdmin);
      expect(renamed.body.data.map((r: { action: string }) => r.action)).toEqual([
        'tenant.renamed',
        'tenant.renamed',
        'tenant.renamed',
      ]);
      expect(renamed.body.nextCursor).toBeNull();
      // Reading the log writes nothing to it.
      expect((await t.api.get('/v1/audit-logs?limit=100', asAdmin)).body.data).toHaveLength(expected.length);

      for (const query of ['limit=0', 'limit=101', 'cursor=%%%', 'cursor=bm9wZQ', 'tenantId=' + other.tenantId]) {
        expectProblem(await t.api.get(`/v1/audit-logs?${query}`, asAdmin), 400, 'validation_failed');
      }
    });
  });
});
