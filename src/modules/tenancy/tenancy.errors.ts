import { moduleErrors } from '../../common/errors/module-errors.js';

export enum TenancyErrorCode {
  TenantNotFound = 'tenant_not_found',
  MemberNotFound = 'member_not_found',
  InvitationNotFound = 'invitation_not_found',
  AlreadyMember = 'already_member',
  /** An answered, revoked or expired invitation; the detail says which. */
  InvitationClosed = 'invitation_closed',
  TenantStatusUnchanged = 'tenant_status_unchanged',
  LastAdmin = 'last_admin',
  TenantSuspended = 'tenant_suspended',
  NotTenantAdmin = 'not_tenant_admin',
}

export const TenancyErrors = moduleErrors<TenancyErrorCode>({
  [TenancyErrorCode.TenantNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Tenant not found' },
  [TenancyErrorCode.MemberNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Member not found' },
  [TenancyErrorCode.InvitationNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Invitation not found' },
  [TenancyErrorCode.AlreadyMember]: {
    status: 409,
    code: 'conflict',
    title: 'Conflict',
    detail: 'You are already a member of this tenant',
  },
  [TenancyErrorCode.InvitationClosed]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'This invitation can no longer be answered',
  },
  [TenancyErrorCode.TenantStatusUnchanged]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'The tenant already has this status',
  },
  [TenancyErrorCode.LastAdmin]: {
    status: 409,
    code: 'conflict',
    title: 'Conflict',
    detail: 'A tenant must keep at least one tenant_admin',
  },
  [TenancyErrorCode.TenantSuspended]: {
    status: 403,
    code: 'tenant_suspended',
    title: 'Tenant suspended',
    detail: 'This tenant is suspended',
  },
  [TenancyErrorCode.NotTenantAdmin]: {
    status: 403,
    code: 'forbidden',
    title: 'Forbidden',
    detail: 'This needs the role tenant_admin',
  },
});
