import { ParseUUIDPipe } from '@nestjs/common';
import { AppError, Errors } from '../../common/errors/app-error.js';

export const TenancyErrors = {
  tenantNotFound: () => Errors.notFound('Tenant'),
  memberNotFound: () => Errors.notFound('Member'),
  userNotFound: () => Errors.notFound('User'),
  alreadyMember: () => Errors.conflict('This user is already a member of the tenant'),
  lastAdmin: () => new AppError(409, 'conflict', 'Conflict', 'A tenant must keep at least one tenant_admin'),
  invalidTransition: (detail: string) => new AppError(409, 'invalid_transition', 'Invalid transition', detail),
};

/**
 * A UUID path parameter whose rejection is a `validation_failed` problem naming the field (Nest's
 * bare ParseUUIDPipe answers without `errors`).
 */
export const uuidParam = (field: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => Errors.validation(`${field} must be a UUID`, [{ field, message: `${field} must be a UUID` }]),
  });
