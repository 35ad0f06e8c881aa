import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext, TenantRole } from '../../common/context/request-context.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from '../audit/audit.service.js';
import { User } from '../auth/user.entity.js';
import { MemberDto, TenantDto } from './dto/tenancy.dto.js';
import { Tenant } from './tenant.entity.js';
import { Membership } from './membership.entity.js';
import { TenancyErrorCode, TenancyErrors } from './tenancy.errors.js';
import { slugify } from './slug.rules.js';

export const toMemberDto = (m: Membership): MemberDto => ({
  userId: m.user.id,
  email: m.user.email,
  name: m.user.name,
  role: m.role,
  joinedAt: m.createdAt.toISOString(),
});

/** Tenants and their members. Every method acts on the tenant of the request context. */
@Injectable()
export class TenancyService {
  constructor(
    private readonly em: EntityManager,
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Members of the current tenant (the `max_users` gauge). */
  countMembers(): Promise<number> {
    return this.em.count(Membership, {});
  }

  /** Creates a tenant with the caller as its first tenant_admin. */
  async create(name: string): Promise<TenantDto> {
    const now = this.clock.realNow();
    const tenant = this.em.create(Tenant, { name, slug: slugify(name), status: 'active', createdAt: now, updatedAt: now });
    await this.session.enterTenant(this.em, tenant.id);
    this.context.setTenant({ tenantId: tenant.id, role: 'tenant_admin' });
    await this.em.flush(); // the membership's foreign key needs the tenant row first
    this.em.create(Membership, {
      tenantId: tenant.id,
      user: this.em.getReference(User, this.context.actor.userId),
      role: 'tenant_admin',
      createdAt: now,
    });
    await this.em.flush();
    this.audit.record({ action: 'tenant.created', targetType: 'tenant', targetId: tenant.id, after: TenantDto.from(tenant) });
    return TenantDto.from(tenant);
  }

  async current(): Promise<TenantDto> {
    return TenantDto.from(await this.loadTenant());
  }

  async rename(name: string): Promise<TenantDto> {
    const tenant = await this.loadTenant();
    const before = TenantDto.from(tenant);
    if (tenant.name === name) return before; // nothing changes, so nothing to audit
    tenant.name = name;
    tenant.updatedAt = this.clock.realNow();
    await this.em.flush();
    const after = TenantDto.from(tenant);
    this.audit.record({ action: 'tenant.renamed', targetType: 'tenant', targetId: tenant.id, before, after });
    return after;
  }

  async listMembers(query: PageQuery): Promise<Page<MemberDto>> {
    const rows = await this.em.find(Membership, afterCursor(query.cursor, 'asc'), {
      populate: ['user'],
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: query.limit + 1,
    });
    return entityPage(this.em, Membership, rows, query.limit, toMemberDto);
  }

  async changeRole(userId: string, role: TenantRole): Promise<MemberDto> {
    await this.lockTenant();
    const membership = await this.findMember(userId);
    const before = toMemberDto(membership);
    if (membership.role === role) return before; // nothing changes, so nothing to audit
    if (membership.role === 'tenant_admin') await this.assertNotLastAdmin();
    membership.role = role;
    await this.em.flush();
    const after = toMemberDto(membership);
    this.audit.record({ action: 'member.role_changed', targetType: 'user', targetId: userId, before, after });
    return after;
  }

  async removeMember(userId: string): Promise<void> {
    await this.lockTenant();
    const membership = await this.findMember(userId);
    if (membership.role === 'tenant_admin') await this.assertNotLastAdmin();
    const before = toMemberDto(membership);
    this.em.remove(membership);
    await this.em.flush();
    this.audit.record({ action: 'member.removed', targetType: 'user', targetId: userId, before });
  }

  private async loadTenant(): Promise<Tenant> {
    const tenant = await this.em.findOne(Tenant, this.context.tenantId);
    if (!tenant) throw TenancyErrors.of(TenancyErrorCode.TenantNotFound);
    return tenant;
  }

  /**
   * Serialises membership and invitation changes of one tenant (the last-admin rule, seats), and
   * re-checks that the caller is still its tenant_admin.
   */
  async lockTenant(): Promise<void> {
    await this.em.findOne(Tenant, this.context.tenantId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    // The access guard checked the caller's role before this transaction; a concurrent change
    // that committed since (e.g. the caller was demoted) is visible now that the lock is held.
    const actor = this.context.actor;
    if (actor.isPlatformAdmin) return;
    const own = await this.em.findOne(Membership, { user: actor.userId }, { refresh: true });
    if (own?.role !== 'tenant_admin') throw TenancyErrors.of(TenancyErrorCode.NotTenantAdmin);
  }

  private async findMember(userId: string): Promise<Membership> {
    const membership = await this.em.findOne(Membership, { user: userId }, { populate: ['user'] });
    if (!membership) throw TenancyErrors.of(TenancyErrorCode.MemberNotFound);
    return membership;
  }

  private async assertNotLastAdmin(): Promise<void> {
    const admins = await this.em.count(Membership, { role: 'tenant_admin' });
    if (admins <= 1) throw TenancyErrors.of(TenancyErrorCode.LastAdmin);
  }
}
