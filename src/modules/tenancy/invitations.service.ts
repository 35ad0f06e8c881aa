import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Errors } from '../../common/errors/app-error.js';
import { RequestContext, TenantRole } from '../../common/context/request-context.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { TENANT_FILTER } from '../../database/tenant-filter.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from '../audit/audit.service.js';
import { User } from '../auth/user.entity.js';
import { InvitationDto, InviteResultDto, JoinedTenantDto } from './dto/tenancy.dto.js';
import { Invitation } from './invitation.entity.js';
import { answer, expiryOf, InvitationAnswer } from './invitation.rules.js';
import { MemberLimit } from './member-limit.port.js';
import { TenancyErrorCode, TenancyErrors } from './tenancy.errors.js';
import { TenancyService, toMemberDto } from './tenancy.service.js';
import { Tenant } from './tenant.entity.js';
import { Membership } from './membership.entity.js';

const toInvitationDto = (i: Invitation): InvitationDto => ({
  id: i.id,
  email: i.email,
  role: i.role,
  status: i.status,
  invitedBy: i.invitedBy,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
});

/**
 * Joining a tenant takes the invitee's consent: a tenant_admin invites an email (the answer never
 * says whether it has an account, or is a member already), and the person signed in with that
 * email accepts or declines. Seats (`max_users`) are counted when an invitation is accepted.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly tenancy: TenancyService,
    private readonly memberLimit: MemberLimit,
  ) {}

  /**
   * Invites `email` into the current tenant; inviting an email with an open invitation renews it.
   * No user is looked up, so the answer and its timing are the same for every email.
   */
  async invite(email: string, role: TenantRole): Promise<InviteResultDto> {
    await this.tenancy.lockTenant();
    const now = this.clock.now();
    const expiresAt = expiryOf(now, this.config.INVITATION_TTL_DAYS);
    const invitedBy = this.context.actor.userId;
    let invitation = await this.em.findOne(Invitation, { email, status: 'pending' });
    if (invitation) {
      Object.assign(invitation, { role, expiresAt, invitedBy });
    } else {
      invitation = this.em.create(Invitation, {
        tenantId: this.context.tenantId,
        email,
        role,
        status: 'pending',
        invitedBy,
        createdAt: now,
        expiresAt,
        answeredAt: null,
      });
    }
    await this.em.flush();
    this.audit.record({
      action: 'invitation.created',
      targetType: 'invitation',
      targetId: invitation.id,
      after: toInvitationDto(invitation),
    });
    return { invitationId: invitation.id, email, role, status: 'pending', expiresAt: expiresAt.toISOString() };
  }

  /** The current tenant's open invitations (pending, not expired), oldest first. */
  async list(query: PageQuery): Promise<Page<InvitationDto>> {
    const rows = await this.em.find(
      Invitation,
      { status: 'pending', expiresAt: { $gt: this.clock.now() }, ...afterCursor(query.cursor, 'asc') },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Invitation, rows, query.limit, toInvitationDto);
  }

  async revoke(id: string): Promise<void> {
    await this.tenancy.lockTenant();
    const invitation = await this.em.findOne(Invitation, id, { refresh: true });
    if (!invitation) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    const before = toInvitationDto(invitation);
    this.close(invitation, 'revoke');
    await this.em.flush();
    this.audit.record({
      action: 'invitation.revoked',
      targetType: 'invitation',
      targetId: id,
      before,
      after: toInvitationDto(invitation),
    });
  }

  /** The invitee joins the tenant with the invited role: 403 `limit_exceeded` when its seats are full. */
  async accept(id: string): Promise<JoinedTenantDto> {
    const { invitation, tenant } = await this.openOwn(id);
    // A suspended tenant takes no new members (declining stays possible).
    if (tenant.status === 'suspended') throw TenancyErrors.of(TenancyErrorCode.TenantSuspended);
    const userId = this.context.actor.userId;
    const before = toInvitationDto(invitation);
    this.close(invitation, 'accept');
    if (await this.em.findOne(Membership, { user: userId })) throw TenancyErrors.of(TenancyErrorCode.AlreadyMember);
    await this.memberLimit.assertAllows((await this.tenancy.countMembers()) + 1);
    const membership = this.em.create(Membership, {
      tenantId: tenant.id,
      user: this.em.getReference(User, userId),
      role: invitation.role,
      createdAt: this.clock.realNow(),
    });
    await this.em.flush();
    await this.em.populate(membership, ['user']);
    // One entry, about the member who joined (like member.role_changed/removed), naming the invitation.
    this.audit.record({
      action: 'invitation.accepted',
      targetType: 'user',
      targetId: userId,
      before,
      after: { ...toMemberDto(membership), invitationId: id },
    });
    return { tenantId: tenant.id, tenantName: tenant.name, role: membership.role, joinedAt: membership.createdAt.toISOString() };
  }

  async decline(id: string): Promise<void> {
    const { invitation } = await this.openOwn(id);
    const before = toInvitationDto(invitation);
    this.close(invitation, 'decline');
    await this.em.flush();
    this.audit.record({
      action: 'invitation.declined',
      targetType: 'invitation',
      targetId: id,
      before,
      after: toInvitationDto(invitation),
    });
  }

  /**
   * One of the caller's own invitations, its tenant entered and locked (the same lock as every
   * membership change, so seats and revocations are serialised). Row-level security shows the
   * caller only invitations addressed to their account's email; any other id is a 404.
   */
  private async openOwn(id: string): Promise<{ invitation: Invitation; tenant: Tenant }> {
    const email = await this.callerEmail();
    const found = await this.em.findOne(Invitation, { id, email }, { filters: { [TENANT_FILTER]: false } });
    if (!found) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    await this.session.enterTenant(this.em, found.tenantId);
    const tenant = await this.em.findOne(Tenant, found.tenantId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!tenant) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    this.context.setTenant({ tenantId: tenant.id, role: null });
    // Read again under the lock: a concurrent revoke or answer may have committed meanwhile.
    const invitation = await this.em.findOneOrFail(Invitation, id, { refresh: true });
    return { invitation, tenant };
  }

  /** Moves an invitation to its answer, or 409 `invalid_transition` when it is answered, revoked or expired. */
  private close(invitation: Invitation, action: InvitationAnswer): void {
    const outcome = answer(invitation, action, this.clock.now());
    if (!outcome.ok) throw TenancyErrors.of(TenancyErrorCode.InvitationClosed, { detail: outcome.reason });
    invitation.status = outcome.status;
    invitation.answeredAt = this.clock.realNow();
  }

  /** The signed-in caller's email, as the database knows it (the same function the RLS policy uses). */
  private async callerEmail(): Promise<string> {
    const [row] = await this.em.execute<{ email: string | null }[]>('select app_user_email() as email');
    if (!row?.email) throw Errors.unauthenticated();
    return row.email;
  }
}
