import { ParseUUIDPipe } from '@nestjs/common';
import { Errors } from '../errors/app-error.js';

/**
 * A UUID path parameter whose rejection is a `validation_failed` problem naming the field (Nest's
 * bare ParseUUIDPipe answers without `errors`).
 */
export const uuidParam = (field: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => Errors.validation(`${field} must be a UUID`, [{ field, message: `${field} must be a UUID` }]),
  });

/** The body of a POST that takes none: any field sent is refused (400), like every other unknown field. */
export class EmptyBody {}
