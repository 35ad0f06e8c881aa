import { randomUUID } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addMember,
  createTenantWithAdmin,
  expectProblem,
  invite,
  registerUser,
  SignedIn,
  TenantWithAdmin,
} from '../support/factories.js';

describe('tenancy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const membersOf = async (admin: TenantWithAdmin) => {
    const res = await t.api.get('/v1/members?limit=100', as(admin, admin));
    expect(res.status).toBe(200);
    return res.body.data as { userId: string; email: string; name: string; role: string }[];
  };

  describe('POST /v1/tenants', () => {
    it('creates a tenant whose creator is its tenant_admin, as /v1/auth/me shows', async () => {
      const user = await registerUser(t.api, 'founder');
      const res = await t.api.post('/v1/tenants', { name: '  Acme Inc.  ' }, { token: user.token });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Acme Inc.',
        slug: expect.stringMatching(/^acme-inc-[0-9a-f]{6}$/),
        status: 'active',
        createdAt: expect.any(String),
      });

      const me = await t.api.get('/v1/auth/me', { token: user.token });
      expect(me.status).toBe(200);
      expect(me.body.memberships).toEqual([{ tenantId: res.body.id, tenantName: 'Acme Inc.', role: 'tenant_admin' }]);

      const members = await t.api.get('/v1/members', { token: user.token });
      expect(members.status).toBe(200);
      expect(members.body).toEqual({
        data: [
          { userId: user.userId, email: user.email, name: 'founder person', role: 'tenant_admin', joinedAt: expect.any(String) },
        ],
        nextCursor: null,
      });
    });

    it('lets one user found several tenants, each listed in /me', async () => {
      const user = await registerUser(t.api, 'serial');
      const first = await t.api.post('/v1/tenants', { name: 'First' }, { token: user.token });
      const second = await t.api.post('/v1/tenants', { name: 'Second' }, { token: user.token });
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(first.body.slug).not.toBe(second.body.slug);
      const me = await t.api.get('/v1/auth/me', { token: user.token });
      expect(me.body.memberships).toEqual([
        { tenantId: first.body.id, tenantName: 'First', role: 'tenant_admin' },
        { tenantId: second.body.id, tenantName: 'Second', role: 'tenant_admin' },
      ]);
    });

    it('creates one tenant for a replayed Idempotency-Key, and refuses the key with another body', async () => {
      const user = await registerUser(t.api, 'retrier');
      const key = `create-${user.userId}`;
      const first = await t.api.post('/v1/tenants', { name: 'Once' }, { token: user.token, idempotencyKey: key });
      const replay = await t.api.post('/v1/tenants', { name: 'Once' }, { token: user.token, idempotencyKey: key });
      expect([first.status, replay.status]).toEqual([201, 201]);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expectProblem(
        await t.api.post('/v1/tenants', { name: 'Twice' }, { token: user.token, idempotencyKey: key }),
        409,
        'idempotency_key_reused',
      );
      const rows = await ownerQuery(t, 'select tenant_id from memberships where user_id = $1', [user.userId]);
      expect(rows).toEqual([{ tenant_id: first.body.id }]);
      const audit = await ownerQuery(
        t,
        `select count(*)::int as n from audit_logs where tenant_id = $1 and action = 'tenant.created'`,
        [first.body.id],
      );
      expect(audit[0].n).toBe(1);
    });

    it('validates the name and needs a signed-in caller', async () => {
      const user = await registerUser(t.api);
      for (const body of [{}, { name: '' }, { name: '   ' }, { name: 42 }, { name: 'x'.repeat(201) }]) {
        const res = await t.api.post('/v1/tenants', body, { token: user.token });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
      }
      expectProblem(await t.api.post('/v1/tenants', { name: 'Anon' }), 401, 'unauthenticated');
      const [{ count }] = await ownerQuery(t, `select count(*)::int as count from memberships where user_id = $1`, [user.userId]);
      expect(count).toBe(0);
    });
  });

  describe('GET/PATCH /v1/tenant', () => {
    it('shows the current tenant to every member and lets only a tenant_admin rename it', async () => {
      const admin = await createTenantWithAdmin(t.api, 'Old name');
      const user = await addMember(t.api, admin, 'tenant_user');

      for (const caller of [admin, user]) {
        const res = await t.api.get('/v1/tenant', as(caller, admin));
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: admin.tenantId, name: 'Old name', status: 'active', slug: expect.any(String) });
      }

      expectProblem(await t.api.patch('/v1/tenant', { name: 'Hijacked' }, as(user, admin)), 403, 'forbidden');
      const renamed = await t.api.patch('/v1/tenant', { name: ' New name ' }, as(admin, admin));
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ id: admin.tenantId, name: 'New name', status: 'active' });
      expect((await t.api.get('/v1/tenant', as(user, admin))).body.name).toBe('New name');
    });

    it('rejects a bad rename in problem-details shape', async () => {
      const admin = await createTenantWithAdmin(t.api, 'Stable');
      const empty = await t.api.patch('/v1/tenant', { name: '' }, as(admin, admin));
      expectProblem(empty, 400, 'validation_failed');
      expect(empty.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
      const extra = await t.api.patch('/v1/tenant', { name: 'Ok', status: 'suspended' }, as(admin, admin));
      expectProblem(extra, 400, 'validation_failed');
      expect(extra.body.errors).toEqual([{ field: 'status', message: 'status is not allowed' }]);
      const tenant = await t.api.get('/v1/tenant', as(admin, admin));
      expect(tenant.body).toMatchObject({ name: 'Stable', status: 'active' });
    });
  });

  describe('members', () => {
    it('invites by email (any case); once the invitee accepts they are a member and see the tenant', async () => {
      const admin = await createTenantWithAdmin(t.api, 'Team');
      const newcomer = await registerUser(t.api, 'newcomer');
      const res = await t.api.post('/v1/members', { email: newcomer.email.toUpperCase(), role: 'tenant_user' }, as(admin, admin));
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        invitationId: expect.any(String),
        email: newcomer.email,
        role: 'tenant_user',
        status: 'pending',
        expiresAt: expect.any(String),
      });
      // Not a member until they accept.
      expect((await membersOf(admin)).map((m) => m.userId)).toEqual([admin.userId]);
      expectProblem(await t.api.get('/v1/tenant', as(newcomer, admin)), 403, 'forbidden');

      const accepted = await t.api.post(`/v1/invitations/${res.body.invitationId}/accept`, undefined, { token: newcomer.token });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({
        tenantId: admin.tenantId,
        tenantName: 'Team',
        role: 'tenant_user',
        joinedAt: expect.any(String),
      });
      expect((await membersOf(admin)).map((m) => [m.userId, m.role])).toEqual([
        [admin.userId, 'tenant_admin'],
        [newcomer.userId, 'tenant_user'],
      ]);
      const me = await t.api.get('/v1/auth/me', { token: newcomer.token });
      expect(me.body.memberships).toEqual([{ tenantId: admin.tenantId, tenantName: 'Team', role: 'tenant_user' }]);
      expect(me.body.invitations).toEqual([]);
      // The new member reads the member list (membership is enough) through the implicit tenant.
      const list = await t.api.get('/v1/members', { token: newcomer.token });
      expect(list.status).toBe(200);
      expect(list.body.data).toHaveLength(2);
    });

    it('changes roles and removes members', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const member = await addMember(t.api, admin, 'tenant_user');
      const promoted = await t.api.patch(`/v1/members/${member.userId}`, { role: 'tenant_admin' }, as(admin, admin));
      expect(promoted.status).toBe(200);
      expect(promoted.body).toMatchObject({ userId: member.userId, email: member.email, role: 'tenant_admin' });
      // The promoted member may now write.
      const demoted = await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_user' }, as(member, admin));
      expect(demoted.status).toBe(200);
      expect(demoted.body).toMatchObject({ userId: admin.userId, role: 'tenant_user' });

      const removed = await t.api.delete(`/v1/members/${admin.userId}`, as(member, admin));
      expect(removed.status).toBe(204);
      expect(removed.body).toBeUndefined();
      expect((await membersOf({ ...member, tenantId: admin.tenantId })).map((m) => m.userId)).toEqual([member.userId]);
      // The removed user has no membership left: T routes answer 403.
      expectProblem(await t.api.get('/v1/tenant', as(admin, admin)), 403, 'forbidden');
      expect((await t.api.get('/v1/auth/me', { token: admin.token })).body.memberships).toEqual([]);
      expectProblem(await t.api.delete(`/v1/members/${admin.userId}`, as(member, admin)), 404, 'not_found');
      expectProblem(
        await t.api.patch(`/v1/members/${randomUUID()}`, { role: 'tenant_user' }, as(member, admin)),
        404,
        'not_found',
      );
    });

    it('refuses every write to a tenant_user (403) and changes nothing', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const user = await addMember(t.api, admin, 'tenant_user');
      const outsider = await registerUser(t.api);
      const attempts = [
        await t.api.post('/v1/members', { email: outsider.email, role: 'tenant_admin' }, as(user, admin)),
        await t.api.patch(`/v1/members/${user.userId}`, { role: 'tenant_admin' }, as(user, admin)),
        await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_user' }, as(user, admin)),
        await t.api.delete(`/v1/members/${admin.userId}`, as(user, admin)),
        await t.api.patch('/v1/tenant', { name: 'Mine now' }, as(user, admin)),
      ];
      for (const res of attempts) expectProblem(res, 403, 'forbidden');
      expect((await membersOf(admin)).map((m) => [m.userId, m.role])).toEqual([
        [admin.userId, 'tenant_admin'],
        [user.userId, 'tenant_user'],
      ]);
    });

    it('answers 400 problem details for a bad role, an unknown field and a bad uuid', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const member = await addMember(t.api, admin, 'tenant_user');
      const outsider = await registerUser(t.api);

      const badRole = await t.api.post('/v1/members', { email: outsider.email, role: 'owner' }, as(admin, admin));
      expectProblem(badRole, 400, 'validation_failed');
      expect(badRole.body.errors).toEqual([{ field: 'role', message: expect.stringContaining('tenant_admin') }]);

      const badEmail = await t.api.post('/v1/members', { email: 'not-an-email', role: 'tenant_user' }, as(admin, admin));
      expectProblem(badEmail, 400, 'validation_failed');
      expect(badEmail.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);

      const unknown = await t.api.post(
        '/v1/members',
        { email: outsider.email, role: 'tenant_user', isPlatformAdmin: true },
        as(admin, admin),
      );
      expectProblem(unknown, 400, 'validation_failed');
      expect(unknown.body.errors).toEqual([{ field: 'isPlatformAdmin', message: 'isPlatformAdmin is not allowed' }]);

      const badPatchRole = await t.api.patch(`/v1/members/${member.userId}`, { role: 'platform_admin' }, as(admin, admin));
      expectProblem(badPatchRole, 400, 'validation_failed');
      expect(badPatchRole.body.errors).toEqual([expect.objectContaining({ field: 'role' })]);

      for (const res of [
        await t.api.patch('/v1/members/not-a-uuid', { role: 'tenant_user' }, as(admin, admin)),
        await t.api.delete('/v1/members/not-a-uuid', as(admin, admin)),
      ]) {
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'userId', message: expect.any(String) }]);
      }

      const malformed = await t.api.request('POST', '/v1/members', undefined, { ...as(admin, admin), raw: '{"email": ' });
      expectProblem(malformed, 400, 'validation_failed');

      // None of it changed anything.
      expect((await membersOf(admin)).map((m) => [m.userId, m.role])).toEqual([
        [admin.userId, 'tenant_admin'],
        [member.userId, 'tenant_user'],
      ]);
    });
  });

  describe('the last tenant_admin', () => {
    it('cannot be demoted or removed (409), by themselves or by a platform admin', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const user = await addMember(t.api, admin, 'tenant_user');
      const demote = await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_user' }, as(admin, admin));
      expectProblem(demote, 409, 'conflict');
      expect(demote.body.detail).toMatch(/tenant_admin/);
      expectProblem(await t.api.delete(`/v1/members/${admin.userId}`, as(admin, admin)), 409, 'conflict');
      // Removing a tenant_user, or keeping an admin an admin, is fine.
      expect((await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_admin' }, as(admin, admin))).status).toBe(200);
      expect((await t.api.delete(`/v1/members/${user.userId}`, as(admin, admin))).status).toBe(204);
      expect((await membersOf(admin)).map((m) => [m.userId, m.role])).toEqual([[admin.userId, 'tenant_admin']]);
    });

    it('may step down once another tenant_admin exists', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const second = await addMember(t.api, admin, 'tenant_admin');
      expect((await t.api.patch(`/v1/members/${admin.userId}`, { role: 'tenant_user' }, as(admin, admin))).status).toBe(200);
      // Now `second` is the last one.
      expectProblem(
        await t.api.patch(`/v1/members/${second.userId}`, { role: 'tenant_user' }, as(second, admin)),
        409,
        'conflict',
      );
      expectProblem(await t.api.delete(`/v1/members/${second.userId}`, as(second, admin)), 409, 'conflict');
    });

    it.each([
      { label: 'demotions', method: 'PATCH', body: { role: 'tenant_user' }, ok: 200 },
      { label: 'removals', method: 'DELETE', body: undefined, ok: 204 },
    ])('holds under two concurrent $label of the only two admins: exactly one succeeds', async ({ method, body, ok }) => {
      for (let round = 0; round < 3; round++) {
        const first = await createTenantWithAdmin(t.api);
        const second = await addMember(t.api, first, 'tenant_admin');
        // Each admin demotes (or removes) the other at the same moment.
        const results = await Promise.all([
          t.api.request(method, `/v1/members/${second.userId}`, body, as(first, first)),
          t.api.request(method, `/v1/members/${first.userId}`, body, as(second, first)),
        ]);
        const winners = results.filter((r) => r.status === ok);
        const losers = results.filter((r) => r.status !== ok);
        expect({ winners: winners.length, losers: losers.length }).toEqual({ winners: 1, losers: 1 });
        // The loser is refused by the last-admin rule (409), or, when it arrives after the winner
        // committed, already by the access guard because it is no longer an admin (403).
        const [loser] = losers;
        if (loser.status === 409) expectProblem(loser, 409, 'conflict');
        else expectProblem(loser, 403, 'forbidden');
        const [{ admins }] = await ownerQuery(
          t,
          `select count(*)::int as admins from memberships where tenant_id = $1 and role = 'tenant_admin'`,
          [first.tenantId],
        );
        expect(admins).toBe(1);
      }
    });
  });

  describe('tenant resolution', () => {
    it('uses the only membership when X-Tenant-Id is left out', async () => {
      const admin = await createTenantWithAdmin(t.api, 'Only one');
      const res = await t.api.get('/v1/tenant', { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: admin.tenantId, name: 'Only one' });
    });

    it('needs X-Tenant-Id (400) from a user of several tenants, and honours it', async () => {
      const first = await createTenantWithAdmin(t.api, 'One');
      const other = await createTenantWithAdmin(t.api, 'Two');
      const invitation = await invite(t.api, other, first.email, 'tenant_user');
      expect(
        (await t.api.post(`/v1/invitations/${invitation.invitationId}/accept`, undefined, { token: first.token })).status,
      ).toBe(200);

      const ambiguous = await t.api.get('/v1/tenant', { token: first.token });
      expectProblem(ambiguous, 400, 'validation_failed');
      expect(ambiguous.body.errors).toEqual([expect.objectContaining({ field: 'X-Tenant-Id' })]);
      expectProblem(await t.api.get('/v1/members', { token: first.token }), 400, 'validation_failed');

      expect((await t.api.get('/v1/tenant', as(first, first.tenantId))).body).toMatchObject({ id: first.tenantId, name: 'One' });
      expect((await t.api.get('/v1/tenant', as(first, other.tenantId))).body).toMatchObject({ id: other.tenantId, name: 'Two' });
      // The role is the one of the named tenant: a tenant_user in `other`.
      expectProblem(await t.api.patch('/v1/tenant', { name: 'Nope' }, as(first, other.tenantId)), 403, 'forbidden');
      expect((await t.api.patch('/v1/tenant', { name: 'Yes' }, as(first, first.tenantId))).status).toBe(200);
    });

    it('refuses a user with no membership (403), with or without X-Tenant-Id', async () => {
      const lonely = await registerUser(t.api, 'lonely');
      const someone = await createTenantWithAdmin(t.api);
      expectProblem(await t.api.get('/v1/tenant', { token: lonely.token }), 403, 'forbidden');
      expectProblem(await t.api.get('/v1/members', { token: lonely.token }), 403, 'forbidden');
      expectProblem(await t.api.get('/v1/tenant', as(lonely, someone.tenantId)), 403, 'forbidden');
      expectProblem(await t.api.get('/v1/tenant', as(lonely, randomUUID())), 403, 'forbidden');
    });

    it('rejects a malformed X-Tenant-Id (400) and a missing token (401)', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const bad = await t.api.get('/v1/tenant', as(admin, 'not-a-uuid'));
      expectProblem(bad, 400, 'validation_failed');
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'X-Tenant-Id' })]);
      expectProblem(await t.api.get('/v1/tenant', { tenant: admin.tenantId }), 401, 'unauthenticated');
      expectProblem(await t.api.get('/v1/members', { token: 'garbage', tenant: admin.tenantId }), 401, 'unauthenticated');
    });
  });

  describe('GET /v1/members pagination', () => {
    it('pages with limit and nextCursor, in joining order, without gaps or repeats', async () => {
      const admin = await createTenantWithAdmin(t.api);
      const added: SignedIn[] = [];
      for (let i = 0; i < 4; i++) added.push(await addMember(t.api, admin, 'tenant_user'));
      const expected = [admin.userId, ...added.map((u) => u.userId)];

      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/v1/members?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await t.api.get(query, as(admin, admin));
        expect(page.status).toBe(200);
        sizes.push(page.body.data.length);
        seen.push(...page.body.data.map((m: { userId: string }) => m.userId));
        cursor = page.body.nextCursor;
      } while (cursor && seen.length < 20);
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(expected);

      const all = await t.api.get('/v1/members', as(admin, admin));
      expect(all.body.data.map((m: { userId: string }) => m.userId)).toEqual(expected);
      expect(all.body.nextCursor).toBeNull();
      const exact = await t.api.get('/v1/members?limit=5', as(admin, admin));
      expect(exact.body.data).toHaveLength(5);
      expect(exact.body.nextCursor).toBeNull();
    });

    it('rejects a bad limit or a cursor it did not issue (400)', async () => {
      const admin = await createTenantWithAdmin(t.api);
      for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor', 'cursor=', 'unknown=1']) {
        const res = await t.api.get(`/v1/members?${query}`, as(admin, admin));
        if (query === 'cursor=') {
          expect(res.status).toBe(200); // an empty cursor is the first page
          continue;
        }
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors?.length).toBeGreaterThan(0);
      }
    });

    it('rejects a forged cursor with well-formed but invalid contents (400)', async () => {
      const admin = await createTenantWithAdmin(t.api);
      for (const keyset of [
        ['x', 'y'],
        [new Date().toISOString(), 'not-a-uuid'],
        ['not-a-date', randomUUID()],
      ]) {
        const cursor = Buffer.from(JSON.stringify(keyset)).toString('base64url');
        for (const path of ['/v1/members', '/v1/audit-logs']) {
          expectProblem(await t.api.get(`${path}?cursor=${cursor}`, as(admin, admin)), 400, 'validation_failed');
        }
      }
    });
  });
});
