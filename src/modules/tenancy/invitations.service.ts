import { Injectable } from '@nestjs/common';
import type { Caller, TenantCaller, TenantId } from '../../common/auth/caller.js';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Errors } from '../../common/errors/app-error.js';
import { RequestContext, TenantRole } from '../../common/context/request-context.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { signedIn } from '../auth/signed-in.rules.js';
import { InvitationDto, InviteResultDto, JoinedTenantDto } from './dto/tenancy.dto.js';
import type { Invitation } from './invitation.entity.js';
import { InvitationRepository } from './invitation.repository.js';
import { answer, expiryOf, InvitationAnswer } from './invitation.rules.js';
import { MemberLimit } from './member-limit.port.js';
import { MembershipRepository } from './membership.repository.js';
import type { Tenant } from './tenant.entity.js';
import { TenantRepository } from './tenant.repository.js';
import { TenancyErrorCode, TenancyErrors } from './tenancy.errors.js';
import { TenancyService, toMemberDto } from './tenancy.service.js';

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
    private readonly invitations: InvitationRepository,
    private readonly tenants: TenantRepository,
    private readonly memberships: MembershipRepository,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly tenancy: TenancyService,
    private readonly memberLimit: MemberLimit,
  ) {}

  /**
   * Invites `email` into the caller's tenant; inviting an email with an open invitation renews it.
   * No user is looked up, so the answer and its timing are the same for every email.
   */
  async invite(caller: TenantCaller, email: string, role: TenantRole): Promise<InviteResultDto> {
    await this.tenancy.lockTenant(caller);
    const now = this.clock.now();
    const expiresAt = expiryOf(now, this.config.INVITATION_TTL_DAYS);
    const invitedBy = signedIn(caller).userId;
    let invitation = await this.invitations.pendingOf(caller.tenantId, email);
    if (invitation) Object.assign(invitation, { role, expiresAt, invitedBy });
    else invitation = this.invitations.create(caller.tenantId, { email, role, invitedBy, now, expiresAt });
    await this.invitations.flush();
    this.audit.record({
      action: 'invitation.created',
      targetType: 'invitation',
      targetId: invitation.id,
      after: toInvitationDto(invitation),
    });
    return { invitationId: invitation.id, email, role, status: 'pending', expiresAt: expiresAt.toISOString() };
  }

  /** The caller's tenant's open invitations (pending, not expired), oldest first. */
  list(caller: TenantCaller, query: PageQuery): Promise<Page<InvitationDto>> {
    return this.invitations.openPage(caller.tenantId, query, this.clock.now(), toInvitationDto);
  }

  async revoke(caller: TenantCaller, id: string): Promise<void> {
    await this.tenancy.lockTenant(caller);
    const invitation = await this.invitations.find(caller.tenantId, id);
    if (!invitation) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    const before = toInvitationDto(invitation);
    this.close(invitation, 'revoke');
    await this.invitations.flush();
    this.audit.record({
      action: 'invitation.revoked',
      targetType: 'invitation',
      targetId: id,
      before,
      after: toInvitationDto(invitation),
    });
  }

  /** The invitee joins the tenant with the invited role: 403 `limit_exceeded` when its seats are full. */
  async accept(caller: Caller, id: string): Promise<JoinedTenantDto> {
    const userId = signedIn(caller).userId;
    const { invitation, tenant, tenantId } = await this.openOwn(id);
    // A suspended tenant takes no new members (declining stays possible).
    if (tenant.status === 'suspended') throw TenancyErrors.of(TenancyErrorCode.TenantSuspended);
    const before = toInvitationDto(invitation);
    this.close(invitation, 'accept');
    if (await this.memberships.ofUser(tenantId, userId)) throw TenancyErrors.of(TenancyErrorCode.AlreadyMember);
    await this.memberLimit.assertAllows(tenantId, (await this.memberships.count(tenantId)) + 1);
    const membership = this.memberships.add(tenantId, userId, invitation.role, this.clock.realNow());
    await this.memberships.flush();
    await this.memberships.withUser(membership);
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

  async decline(caller: Caller, id: string): Promise<void> {
    signedIn(caller);
    const { invitation } = await this.openOwn(id);
    const before = toInvitationDto(invitation);
    this.close(invitation, 'decline');
    await this.invitations.flush();
    this.audit.record({
      action: 'invitation.declined',
      targetType: 'invitation',
      targetId: id,
      before,
      after: toInvitationDto(invitation),
    });
  }

  /**
   * One of the signed-in caller's own invitations, its tenant entered and locked (the same lock as
   * every membership change, so seats and revocations are serialised). Row-level security shows
   * the caller only invitations addressed to their account's email; any other id is a 404.
   */
  private async openOwn(id: string): Promise<{ invitation: Invitation; tenant: Tenant; tenantId: TenantId }> {
    const email = await this.invitations.accountEmail();
    if (!email) throw Errors.unauthenticated();
    const found = await this.invitations.addressedTo(id, email);
    if (!found) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    const tenantId = await this.tenants.enter(found.tenantId);
    const tenant = await this.tenants.lock(tenantId);
    if (!tenant) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    // The rest of the request (its audit entries) acts in the invitation's tenant.
    this.context.setTenant({ tenantId, role: null });
    // Read again under the lock: a concurrent revoke or answer may have committed meanwhile.
    const invitation = await this.invitations.find(tenantId, id);
    if (!invitation) throw TenancyErrors.of(TenancyErrorCode.InvitationNotFound);
    return { invitation, tenant, tenantId };
  }

  /** Moves an invitation to its answer, or 409 `invalid_transition` when it is answered, revoked or expired. */
  private close(invitation: Invitation, action: InvitationAnswer): void {
    const outcome = answer(invitation, action, this.clock.now());
    if (!outcome.ok) throw TenancyErrors.of(TenancyErrorCode.InvitationClosed, { detail: outcome.reason });
    invitation.status = outcome.status;
    invitation.answeredAt = this.clock.realNow();
  }
}
