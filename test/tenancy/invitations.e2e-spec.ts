import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import type { ApiResponse } from '../support/client.js';
import {
  as,
  addMember,
  createPlan,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  expectProblem,
  invite,
  PASSWORD,
  registerUser,
  SignedIn,
  subscribe,
  TenantWithAdmin,
  uniqueEmail,
} from '../support/factories.js';

/** Joining a tenant takes the invitee's consent (API.md, Tenancy): invite → accept or decline. */
describe('invitations', () => {
  let t: TestApp;
  let platformToken: string;
  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true', INVITATION_TTL_DAYS: '7' });
    platformToken = (await createPlatformAdmin(t)).token;
  });
  afterAll(() => t.close());

  const accept = (user: SignedIn, id: string) => t.api.post(`/v1/invitations/${id}/accept`, undefined, { token: user.token });
  const decline = (user: SignedIn, id: string) => t.api.post(`/v1/invitations/${id}/decline`, undefined, { token: user.token });
  const memberIds = async (admin: TenantWithAdmin) =>
    (await t.api.get('/v1/members?limit=100', as(admin, admin))).body.data.map((m: { userId: string }) => m.userId);
  const auditActions = async (tenantId: string) =>
    (
      await ownerQuery<{ action: string }>(t, `select action from audit_logs where tenant_id = $1 order by created_at, id`, [
        tenantId,
      ])
    ).map((r) => r.action);

  it('answers the same for a known email, an unknown one and a member, and looks no account up', async () => {
    const admin = await createTenantWithAdmin(t.api, 'Quiet');
    const known = await registerUser(t.api, 'known');
    const member = await addMember(t.api, admin);
    const unknown = uniqueEmail('nobody');
    const users = async () => (await ownerQuery(t, 'select count(*)::int as n from users'))[0].n;
    const usersBefore = await users();

    const answers: ApiResponse[] = [];
    for (const email of [known.email, unknown, member.email, admin.email]) {
      const res = await t.api.post('/v1/members', { email, role: 'tenant_user' }, as(admin, admin));
      answers.push(res);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        invitationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email,
        role: 'tenant_user',
        status: 'pending',
        expiresAt: expect.any(String),
      });
      expect(Object.keys(res.body).sort()).toEqual(['email', 'expiresAt', 'invitationId', 'role', 'status']);
      expect([...res.headers.keys()].sort()).toEqual([...answers[0].headers.keys()].sort());
    }
    // Each expires after the configured 7 days.
    for (const res of answers) {
      expect(new Date(res.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(7 * 86_400_000 - 60_000);
      expect(new Date(res.body.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000 + 60_000);
    }
    expect(await users()).toBe(usersBefore);
    // No one joined without accepting.
    expect((await memberIds(admin)).sort()).toEqual([admin.userId, member.userId].sort());
    // A member who accepts again is told so (409), and stays a member once.
    expectProblem(await accept(member, answers[2].body.invitationId), 409, 'conflict');
  });

  it('shows open invitations in /v1/auth/me to the invitee only, including one sent before they registered', async () => {
    const admin = await createTenantWithAdmin(t.api, 'Inviter Co');
    const email = uniqueEmail('later');
    const sent = await invite(t.api, admin, email.toUpperCase(), 'tenant_admin');
    const bystander = await registerUser(t.api, 'bystander');

    const reg = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Later' });
    expect(reg.status).toBe(201);
    const invitee: SignedIn = {
      userId: reg.body.user.id,
      email,
      token: reg.body.accessToken,
      refreshToken: reg.body.refreshToken,
    };
    const me = await t.api.get('/v1/auth/me', { token: invitee.token });
    expect(me.status).toBe(200);
    expect(me.body.invitations).toEqual([
      {
        id: sent.invitationId,
        tenantId: admin.tenantId,
        tenantName: 'Inviter Co',
        role: 'tenant_admin',
        expiresAt: sent.expiresAt,
      },
    ]);
    expect(me.body.memberships).toEqual([]);
    expect((await t.api.get('/v1/auth/me', { token: bystander.token })).body.invitations).toEqual([]);
    expect((await t.api.get('/v1/auth/me', { token: admin.token })).body.invitations).toEqual([]);

    // Someone else cannot answer it: 404, as for an id that does not exist; it stays open.
    expectProblem(await accept(bystander, sent.invitationId), 404, 'not_found');
    expectProblem(await decline(bystander, sent.invitationId), 404, 'not_found');
    expectProblem(await accept(admin, sent.invitationId), 404, 'not_found');
    expectProblem(await accept(invitee, randomUUID()), 404, 'not_found');
    expectProblem(
      await t.api.post('/v1/invitations/not-a-uuid/accept', undefined, { token: invitee.token }),
      400,
      'validation_failed',
    );
    expectProblem(await t.api.post(`/v1/invitations/${sent.invitationId}/accept`), 401, 'unauthenticated');

    const joined = await accept(invitee, sent.invitationId);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ tenantId: admin.tenantId, tenantName: 'Inviter Co', role: 'tenant_admin' });
    // The invited role applies: the new tenant_admin may write.
    expect((await t.api.patch('/v1/tenant', { name: 'Renamed' }, as(invitee, admin))).status).toBe(200);
    const after = await t.api.get('/v1/auth/me', { token: invitee.token });
    expect(after.body.invitations).toEqual([]);
    expect(after.body.memberships).toEqual([{ tenantId: admin.tenantId, tenantName: 'Renamed', role: 'tenant_admin' }]);
    // Answered is final: 409 invalid_transition.
    expectProblem(await accept(invitee, sent.invitationId), 409, 'invalid_transition');
    expectProblem(await decline(invitee, sent.invitationId), 409, 'invalid_transition');
  });

  it('declines: no membership, the answer is final, and the admin may invite again', async () => {
    const admin = await createTenantWithAdmin(t.api);
    const user = await registerUser(t.api, 'decliner');
    const sent = await invite(t.api, admin, user.email);
    const res = await decline(user, sent.invitationId);
    expect(res.status).toBe(204);
    expectProblem(await accept(user, sent.invitationId), 409, 'invalid_transition');
    expect(await memberIds(admin)).toEqual([admin.userId]);
    expect((await t.api.get('/v1/invitations', as(admin, admin))).body.data).toEqual([]);

    const again = await invite(t.api, admin, user.email);
    expect(again.invitationId).not.toBe(sent.invitationId);
    expect((await accept(user, again.invitationId)).status).toBe(200);
  });

  it('lists open invitations to tenant_admins, renews a repeated invite, and revokes', async () => {
    const admin = await createTenantWithAdmin(t.api);
    const user = await addMember(t.api, admin, 'tenant_user');
    const invitee = await registerUser(t.api, 'revoked');
    const first = await invite(t.api, admin, invitee.email, 'tenant_user');
    const renewed = await invite(t.api, admin, invitee.email, 'tenant_admin');
    expect(renewed.invitationId).toBe(first.invitationId);

    const list = await t.api.get('/v1/invitations', as(admin, admin));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      data: [
        {
          id: first.invitationId,
          email: invitee.email,
          role: 'tenant_admin',
          status: 'pending',
          invitedBy: admin.userId,
          createdAt: expect.any(String),
          expiresAt: renewed.expiresAt,
        },
      ],
      nextCursor: null,
    });

    // Members who are not tenant_admins neither see nor revoke invitations; another tenant gets a 404.
    expectProblem(await t.api.get('/v1/invitations', as(user, admin)), 403, 'forbidden');
    expectProblem(await t.api.delete(`/v1/invitations/${first.invitationId}`, as(user, admin)), 403, 'forbidden');
    const other = await createTenantWithAdmin(t.api);
    expectProblem(await t.api.delete(`/v1/invitations/${first.invitationId}`, as(other, other)), 404, 'not_found');
    expect((await t.api.get('/v1/invitations', as(other, other))).body.data).toEqual([]);

    const revoked = await t.api.delete(`/v1/invitations/${first.invitationId}`, as(admin, admin));
    expect(revoked.status).toBe(204);
    expect((await t.api.get('/v1/invitations', as(admin, admin))).body.data).toEqual([]);
    expect((await t.api.get('/v1/auth/me', { token: invitee.token })).body.invitations).toEqual([]);
    expectProblem(await accept(invitee, first.invitationId), 409, 'invalid_transition');
    expectProblem(await t.api.delete(`/v1/invitations/${first.invitationId}`, as(admin, admin)), 409, 'invalid_transition');
    expect(await memberIds(admin)).not.toContain(invitee.userId);
  });

  it('pages GET /v1/invitations with limit and cursor', async () => {
    const admin = await createTenantWithAdmin(t.api);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) sent.push((await invite(t.api, admin, uniqueEmail('page'))).invitationId);
    const first = await t.api.get('/v1/invitations?limit=2', as(admin, admin));
    const second = await t.api.get(`/v1/invitations?limit=2&cursor=${first.body.nextCursor}`, as(admin, admin));
    expect([...first.body.data, ...second.body.data].map((i: { id: string }) => i.id)).toEqual(sent);
    expect(second.body.nextCursor).toBeNull();
  });

  it("counts seats on acceptance: a full plan's tenant refuses the next accept (403 limit_exceeded)", async () => {
    const seats = await createPolicy(t.api, platformToken, 'max_users', 2);
    const plan = await createPlan(t.api, platformToken, { name: 'Duo', priceAmount: 0, policyIds: [seats.id] });
    const admin = await createTenantWithAdmin(t.api);
    await subscribe(t.api, admin, plan.id);
    const [a, b] = [await registerUser(t.api, 'a'), await registerUser(t.api, 'b')];
    // Inviting is not limited by seats: accepting is.
    const [toA, toB] = [await invite(t.api, admin, a.email), await invite(t.api, admin, b.email)];
    expect((await accept(a, toA.invitationId)).status).toBe(200);
    const full = await accept(b, toB.invitationId);
    expectProblem(full, 403, 'limit_exceeded');
    expect(full.body).toMatchObject({ metric: 'max_users', limit: 2, used: 2 });
    expect(await memberIds(admin)).toHaveLength(2);
    // Still open: once a seat frees up, it can be accepted.
    expect((await t.api.get('/v1/auth/me', { token: b.token })).body.invitations).toHaveLength(1);
    expect((await t.api.delete(`/v1/members/${a.userId}`, as(admin, admin))).status).toBe(204);
    expect((await accept(b, toB.invitationId)).status).toBe(200);
  });

  it('holds the seat limit under concurrent accepts', async () => {
    const seats = await createPolicy(t.api, platformToken, 'max_users', 2);
    const plan = await createPlan(t.api, platformToken, { name: 'Duo race', priceAmount: 0, policyIds: [seats.id] });
    const admin = await createTenantWithAdmin(t.api);
    await subscribe(t.api, admin, plan.id);
    const users: SignedIn[] = [];
    for (let i = 0; i < 4; i++) users.push(await registerUser(t.api, 'racer'));
    const invitations: { invitationId: string }[] = [];
    for (const u of users) invitations.push(await invite(t.api, admin, u.email));
    const results = await Promise.all(users.map((u, i) => accept(u, invitations[i].invitationId)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403, 403]);
    expect(await memberIds(admin)).toHaveLength(2);
  });

  it('takes no new member into a suspended tenant (403 tenant_suspended); declining stays possible', async () => {
    const admin = await createTenantWithAdmin(t.api);
    const [a, b] = [await registerUser(t.api, 'susp-a'), await registerUser(t.api, 'susp-b')];
    const [toA, toB] = [await invite(t.api, admin, a.email), await invite(t.api, admin, b.email)];
    expect((await t.api.post(`/v1/admin/tenants/${admin.tenantId}/suspend`, {}, { token: platformToken })).status).toBe(200);
    expectProblem(await accept(a, toA.invitationId), 403, 'tenant_suspended');
    expect((await decline(b, toB.invitationId)).status).toBe(204);
    expect((await ownerQuery(t, 'select count(*)::int as n from memberships where tenant_id = $1', [admin.tenantId]))[0].n).toBe(
      1,
    );
  });

  it('expires after the configured days (on the application clock)', async () => {
    const admin = await createTenantWithAdmin(t.api);
    const user = await registerUser(t.api, 'slow');
    const sent = await invite(t.api, admin, user.email);
    const moved = await t.api.request(
      'PUT',
      '/v1/admin/clock',
      { now: new Date(Date.now() + 8 * 86_400_000).toISOString() },
      { token: platformToken },
    );
    expect(moved.status).toBe(200);
    expect((await t.api.get('/v1/auth/me', { token: user.token })).body.invitations).toEqual([]);
    expect((await t.api.get('/v1/invitations', as(admin, admin))).body.data).toEqual([]);
    const late = await accept(user, sent.invitationId);
    expectProblem(late, 409, 'invalid_transition');
    expect(late.body.detail).toMatch(/expired/);
    // Inviting again opens a fresh one from the moved clock.
    const again = await invite(t.api, admin, user.email);
    expect((await accept(user, again.invitationId)).status).toBe(200);
  });

  it('audits invite, revoke, accept and decline in the tenant log', async () => {
    const admin = await createTenantWithAdmin(t.api);
    const [x, y, z] = [await registerUser(t.api), await registerUser(t.api), await registerUser(t.api)];
    const toX = await invite(t.api, admin, x.email);
    const toY = await invite(t.api, admin, y.email);
    const toZ = await invite(t.api, admin, z.email);
    await t.api.delete(`/v1/invitations/${toX.invitationId}`, as(admin, admin));
    await accept(y, toY.invitationId);
    await decline(z, toZ.invitationId);
    expect((await auditActions(admin.tenantId)).filter((a) => a.startsWith('invitation.'))).toEqual([
      'invitation.created',
      'invitation.created',
      'invitation.created',
      'invitation.revoked',
      'invitation.accepted',
      'invitation.declined',
    ]);
    const [declined] = await ownerQuery(
      t,
      `select actor_user_id, target_id, before->>'status' as before, after->>'status' as after from audit_logs
        where tenant_id = $1 and action = 'invitation.declined'`,
      [admin.tenantId],
    );
    expect(declined).toEqual({ actor_user_id: z.userId, target_id: toZ.invitationId, before: 'pending', after: 'declined' });
  });

  it("row-level security: the API role sees only the invitations to its user's email, and its tenant's", async () => {
    const a = await createTenantWithAdmin(t.api, 'RLS A');
    const b = await createTenantWithAdmin(t.api, 'RLS B');
    const invitee = await registerUser(t.api, 'rls');
    const toInvitee = await invite(t.api, a, invitee.email);
    const toOther = await invite(t.api, b, uniqueEmail('elsewhere'));

    const app = new pg.Client({ connectionString: t.appUrl });
    await app.connect();
    try {
      const ids = async (userId: string, tenantId = '') => {
        await app.query('begin');
        try {
          await app.query(`select set_config('app.user_id', $1, true), set_config('app.tenant_id', $2, true)`, [
            userId,
            tenantId,
          ]);
          return {
            invitations: (await app.query('select id from invitations order by id')).rows.map((r) => r.id),
            tenants: (await app.query('select id from tenants')).rows.map((r) => r.id),
            // Trying to take over another invitation changes nothing.
            updated: (await app.query(`update invitations set status = 'accepted' where id = $1`, [toOther.invitationId]))
              .rowCount,
          };
        } finally {
          await app.query('rollback');
        }
      };
      expect(await ids('')).toEqual({ invitations: [], tenants: [], updated: 0 });
      expect(await ids(invitee.userId)).toEqual({ invitations: [toInvitee.invitationId], tenants: [a.tenantId], updated: 0 });
      expect(await ids(b.userId)).toEqual({ invitations: [], tenants: [b.tenantId], updated: 0 });
      expect((await ids(a.userId, a.tenantId)).invitations).toEqual([toInvitee.invitationId]);
    } finally {
      await app.end();
    }
  });
});
