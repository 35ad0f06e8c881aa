import { Injectable } from '@nestjs/common';
import type { Caller, TenantCaller, TenantId } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext, TenantRole } from '../../common/context/request-context.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { signedIn } from '../auth/signed-in.rules.js';
import { MemberDto, TenantDto } from './dto/tenancy.dto.js';
import type { Membership } from './membership.entity.js';
import { MembershipRepository } from './membership.repository.js';
import { slugify } from './slug.rules.js';
import type { Tenant } from './tenant.entity.js';
import { TenantRepository } from './tenant.repository.js';
import { TenancyErrorCode, TenancyErrors } from './tenancy.errors.js';

export const toMemberDto = (m: Membership): MemberDto => ({
  userId: m.user.id,
  email: m.user.email,
  name: m.user.name,
  role: m.role,
  joinedAt: m.createdAt.toISOString(),
});

/** Tenants and their members. Every method acts on the caller's tenant. */
@Injectable()
export class TenancyService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly memberships: MembershipRepository,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Creates a tenant with the caller as its first tenant_admin. */
  async create(caller: Caller, name: string): Promise<TenantDto> {
    const actor = signedIn(caller);
    const now = this.clock.realNow();
    const tenant = this.tenants.create({ name, slug: slugify(name), now });
    const tenantId = await this.tenants.enter(tenant.id);
    // The rest of the request (its audit entry, the unit of work) acts in the new tenant.
    this.context.setTenant({ tenantId, role: 'tenant_admin' });
    await this.tenants.flush(); // the membership's foreign key needs the tenant row first
    this.memberships.add(tenantId, actor.userId, 'tenant_admin', now);
    await this.memberships.flush();
    this.audit.record({ action: 'tenant.created', targetType: 'tenant', targetId: tenant.id, after: TenantDto.from(tenant) });
    return TenantDto.from(tenant);
  }

  async current(caller: TenantCaller): Promise<TenantDto> {
    return TenantDto.from(await this.loadTenant(caller.tenantId));
  }

  async rename(caller: TenantCaller, name: string): Promise<TenantDto> {
    const tenant = await this.loadTenant(caller.tenantId);
    const before = TenantDto.from(tenant);
    if (tenant.name === name) return before; // nothing changes, so nothing to audit
    tenant.name = name;
    tenant.updatedAt = this.clock.realNow();
    await this.tenants.flush();
    const after = TenantDto.from(tenant);
    this.audit.record({ action: 'tenant.renamed', targetType: 'tenant', targetId: tenant.id, before, after });
    return after;
  }

  listMembers(caller: TenantCaller, query: PageQuery): Promise<Page<MemberDto>> {
    return this.memberships.page(caller.tenantId, query, toMemberDto);
  }

  async changeRole(caller: TenantCaller, userId: string, role: TenantRole): Promise<MemberDto> {
    await this.lockTenant(caller);
    const membership = await this.findMember(caller.tenantId, userId);
    const before = toMemberDto(membership);
    if (membership.role === role) return before; // nothing changes, so nothing to audit
    if (membership.role === 'tenant_admin') await this.assertNotLastAdmin(caller.tenantId);
    membership.role = role;
    await this.memberships.flush();
    const after = toMemberDto(membership);
    this.audit.record({ action: 'member.role_changed', targetType: 'user', targetId: userId, before, after });
    return after;
  }

  async removeMember(caller: TenantCaller, userId: string): Promise<void> {
    await this.lockTenant(caller);
    const membership = await this.findMember(caller.tenantId, userId);
    if (membership.role === 'tenant_admin') await this.assertNotLastAdmin(caller.tenantId);
    const before = toMemberDto(membership);
    this.memberships.remove(membership);
    await this.memberships.flush();
    this.audit.record({ action: 'member.removed', targetType: 'user', targetId: userId, before });
  }

  private async loadTenant(tenantId: TenantId): Promise<Tenant> {
    const tenant = await this.tenants.find(tenantId);
    if (!tenant) throw TenancyErrors.of(TenancyErrorCode.TenantNotFound);
    return tenant;
  }

  /**
   * Serialises membership and invitation changes of one tenant (the last-admin rule, seats), and
   * re-checks that the caller is still its tenant_admin.
   */
  async lockTenant(caller: TenantCaller): Promise<void> {
    await this.tenants.lock(caller.tenantId);
    // The access guard checked the caller's role before this transaction; a concurrent change
    // that committed since (e.g. the caller was demoted) is visible now that the lock is held.
    const actor = signedIn(caller);
    if (actor.isPlatformAdmin) return;
    const own = await this.memberships.ofUser(caller.tenantId, actor.userId, { fresh: true });
    if (own?.role !== 'tenant_admin') throw TenancyErrors.of(TenancyErrorCode.NotTenantAdmin);
  }

  private async findMember(tenantId: TenantId, userId: string): Promise<Membership> {
    const membership = await this.memberships.ofUser(tenantId, userId, { withUser: true });
    if (!membership) throw TenancyErrors.of(TenancyErrorCode.MemberNotFound);
    return membership;
  }

  private async assertNotLastAdmin(tenantId: TenantId): Promise<void> {
    const admins = await this.memberships.countAdmins(tenantId);
    if (admins <= 1) throw TenancyErrors.of(TenancyErrorCode.LastAdmin);
  }
}
