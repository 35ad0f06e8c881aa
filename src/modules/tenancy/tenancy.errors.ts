import { AppError, Errors } from '../../common/errors/app-error.js';

export const TenancyErrors = {
  tenantNotFound: () => Errors.notFound('Tenant'),
  memberNotFound: () => Errors.notFound('Member'),
  invitationNotFound: () => Errors.notFound('Invitation'),
  alreadyMember: () => Errors.conflict('You are already a member of this tenant'),
  invalidTransition: (detail: string) => Errors.invalidTransition(detail),
  lastAdmin: () => new AppError(409, 'conflict', 'Conflict', 'A tenant must keep at least one tenant_admin'),
};
