import type { TenantCaller } from '../../src/common/auth/caller.js';
import { ApiKeysService } from '../../src/modules/auth/api-keys.service.js';
import { AuditLogsService } from '../../src/modules/audit/audit-logs.service.js';
import { InvitationsService } from '../../src/modules/tenancy/invitations.service.js';
import { MembershipRepository } from '../../src/modules/tenancy/membership.repository.js';
import { TenancyService } from '../../src/modules/tenancy/tenancy.service.js';
import { newMediumContext, type MediumContext } from './medium.factory.js';

/**
 * Isolation at the service level: the caller is a parameter, so a test can call each service as
 * another tenant, and can even hand a repository another tenant's id inside its own transaction —
 * the walls behind the parameter (row-level security, the tenant filter) still answer nothing.
 */
let ctx: MediumContext;
let a: TenantCaller;
let b: TenantCaller;
const page = { limit: 50 };

beforeAll(async () => {
  ctx = await newMediumContext();
  a = await ctx.newTenant('Acme');
  b = await ctx.newTenant('Globex');
});
afterAll(() => ctx.close());

describe('tenancy', () => {
  it('lists only the caller tenant’s members, and cannot remove another tenant’s', async () => {
    const tenancy = ctx.get(TenancyService);
    const colleague = await ctx.newMember(a);
    const ofB = await ctx.as(b, () => tenancy.listMembers(b, page));
    expect(ofB.data.map((m) => m.userId)).toEqual([b.actor!.userId]);

    await expect(ctx.as(b, () => tenancy.removeMember(b, colleague.actor!.userId))).rejects.toMatchObject({
      status: 404,
    });
    const ofA = await ctx.as(a, () => tenancy.listMembers(a, page));
    expect(ofA.data.map((m) => m.userId).sort()).toEqual([a.actor!.userId, colleague.actor!.userId].sort());
  });

  it('answers nothing when a repository is handed another tenant’s id inside a tenant’s transaction', async () => {
    const memberships = ctx.get(MembershipRepository);
    expect(await ctx.as(a, () => memberships.count(a.tenantId))).toBeGreaterThan(0);
    expect(await ctx.as(a, () => memberships.count(b.tenantId))).toBe(0);
    expect(await ctx.as(a, () => memberships.ofUser(b.tenantId, b.actor!.userId))).toBeNull();
    // The same, through a service given a caller for another tenant than the transaction's.
    const members = await ctx.as(a, () => ctx.get(TenancyService).listMembers(b, page));
    expect(members.data).toEqual([]);
  });
});

describe('invitations', () => {
  it('keeps each tenant’s invitations to itself', async () => {
    const invitations = ctx.get(InvitationsService);
    const invited = await ctx.as(a, () => invitations.invite(a, 'newcomer@medium.test', 'tenant_user'));
    expect((await ctx.as(b, () => invitations.list(b, page))).data).toEqual([]);
    await expect(ctx.as(b, () => invitations.revoke(b, invited.invitationId))).rejects.toMatchObject({ status: 404 });
    const ofA = await ctx.as(a, () => invitations.list(a, page));
    expect(ofA.data.map((i) => [i.id, i.status])).toEqual([[invited.invitationId, 'pending']]);
  });
});

describe('API keys', () => {
  it('lists and revokes only the caller tenant’s keys', async () => {
    const keys = ctx.get(ApiKeysService);
    const key = await ctx.as(a, () => keys.create(a, 'server', 'live'));
    expect((await ctx.as(b, () => keys.list(b, page))).data).toEqual([]);
    await expect(ctx.as(b, () => keys.revoke(b, key.id))).rejects.toMatchObject({ status: 404 });
    const ofA = await ctx.as(a, () => keys.list(a, page));
    expect(ofA.data.map((k) => [k.id, k.revokedAt])).toEqual([[key.id, null]]);
  });
});

describe('audit log', () => {
  it('shows a tenant its own actions only', async () => {
    await ctx.as(a, () => ctx.get(TenancyService).rename(a, 'Acme Renamed'));
    const audit = ctx.get(AuditLogsService);
    const ofA = await ctx.as(a, () => audit.listForTenant(a, { limit: 100 }));
    expect(ofA.data.map((e) => e.action)).toContain('tenant.renamed');
    const ofB = await ctx.as(b, () => audit.listForTenant(b, { limit: 100 }));
    expect(ofB.data.filter((e) => e.tenantId !== b.tenantId)).toEqual([]);
    expect(ofB.data.map((e) => e.action)).not.toContain('tenant.renamed');
  });
});
