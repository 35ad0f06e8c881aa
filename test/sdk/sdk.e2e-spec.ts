import {
  acceptInvitation,
  addMember,
  createTenant,
  getMe,
  listAuditLogs,
  listMembers,
  register,
  removeMember,
  updateMember,
  type MemberDto,
} from '../../sdk/index.js';
import { startTestApp, TestApp } from '../support/app.js';
import { PASSWORD, uniqueEmail } from '../support/factories.js';

describe('generated SDK', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('signs in and manages members of a tenant end to end', async () => {
    const anonymous = t.api.sdk();

    // Two people sign up.
    const emailA = uniqueEmail('sdk-admin');
    const emailB = uniqueEmail('sdk-user');
    const a = await register({ client: anonymous, body: { email: emailA, password: PASSWORD, name: 'Ada' }, throwOnError: true });
    const b = await register({ client: anonymous, body: { email: emailB, password: PASSWORD, name: 'Brian' }, throwOnError: true });
    expect(a.response.status).toBe(201);
    expect(a.data.user).toMatchObject({ email: emailA, name: 'Ada', isPlatformAdmin: false });
    const userB = b.data.user.id;

    // A creates a tenant and becomes its tenant_admin.
    const asA = t.api.sdk({ token: a.data.accessToken });
    const tenant = await createTenant({ client: asA, body: { name: 'SDK Co' }, throwOnError: true });
    expect(tenant.response.status).toBe(201);
    expect(tenant.data).toMatchObject({ name: 'SDK Co', status: 'active' });
    const tenantId = tenant.data.id;
    const me = await getMe({ client: asA, throwOnError: true });
    expect(me.data.memberships).toEqual([{ tenantId, tenantName: 'SDK Co', role: 'tenant_admin' }]);

    // The tenant is named per call through the typed header, and per client through its config.
    const invited = await addMember({
      client: asA,
      headers: { 'X-Tenant-Id': tenantId },
      body: { email: emailB, role: 'tenant_user' },
      throwOnError: true,
    });
    expect(invited.response.status).toBe(202);
    expect(invited.data).toMatchObject({ email: emailB, role: 'tenant_user', status: 'pending' });

    // B sees the invitation in /me and accepts it.
    const asB = t.api.sdk({ token: b.data.accessToken });
    const meB = await getMe({ client: asB, throwOnError: true });
    expect(meB.data.invitations).toEqual([
      { id: invited.data.invitationId, tenantId, tenantName: 'SDK Co', role: 'tenant_user', expiresAt: invited.data.expiresAt },
    ]);
    const joined = await acceptInvitation({ client: asB, path: { id: invited.data.invitationId }, throwOnError: true });
    expect(joined.data).toMatchObject({ tenantId, tenantName: 'SDK Co', role: 'tenant_user' });

    const inTenant = t.api.sdk({ token: a.data.accessToken, tenant: tenantId });
    const members = await listMembers({ client: inTenant, query: { limit: 10 }, throwOnError: true });
    expect(members.data.nextCursor).toBeNull();
    const byUser = (list: MemberDto[]) => Object.fromEntries(list.map((m) => [m.userId, m.role]));
    expect(byUser(members.data.data)).toEqual({ [a.data.user.id]: 'tenant_admin', [userB]: 'tenant_user' });

    const promoted = await updateMember({ client: inTenant, path: { userId: userB }, body: { role: 'tenant_admin' }, throwOnError: true });
    expect(promoted.data).toMatchObject({ userId: userB, role: 'tenant_admin' });

    const removed = await removeMember({ client: inTenant, path: { userId: userB } });
    expect(removed.error).toBeUndefined();
    expect(removed.response?.status).toBe(204);
    const after = await listMembers({ client: inTenant, throwOnError: true });
    expect(after.data.data.map((m) => m.userId)).toEqual([a.data.user.id]);

    // Errors come back typed as problem details rather than thrown.
    const missing = await removeMember({ client: inTenant, path: { userId: userB } });
    expect(missing.response?.status).toBe(404);
    expect(missing.error).toMatchObject({ status: 404, code: 'not_found' });
    const anon = await listMembers({ client: anonymous, headers: { 'X-Tenant-Id': tenantId } });
    expect(anon.response?.status).toBe(401);
    expect(anon.error).toMatchObject({ code: 'unauthenticated' });

    // Every step above is in the tenant's audit log.
    const audit = await listAuditLogs({ client: inTenant, query: { limit: 50 }, throwOnError: true });
    const actions = audit.data.data.map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining(['tenant.created', 'invitation.created', 'invitation.accepted', 'member.role_changed', 'member.removed']),
    );
    for (const entry of audit.data.data) expect(entry.tenantId).toBe(tenantId);
    const memberEntries = audit.data.data.filter((entry) => entry.action.startsWith('member.'));
    expect(memberEntries.every((entry) => entry.targetId === userB && entry.actorUserId === a.data.user.id)).toBe(true);
  });
});
