import { AppError, Errors } from '../../common/errors/app-error.js';

export const TenancyErrors = {
  tenantNotFound: () => Errors.notFound('Tenant'),
  memberNotFound: () => Errors.notFound('Member'),
  userNotFound: () => Errors.notFound('User'),
  alreadyMember: () => Errors.conflict('This user is already a member of the tenant'),
  lastAdmin: () => new AppError(409, 'conflict', 'Conflict', 'A tenant must keep at least one tenant_admin'),
  invalidTransition: (detail: string) => new AppError(409, 'invalid_transition', 'Invalid transition', detail),
};
