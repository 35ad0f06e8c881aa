import { createParamDecorator, ExecutionContext, ParseUUIDPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { Errors } from '../errors/app-error.js';

/**
 * A UUID path parameter whose rejection is a `validation_failed` problem naming the field (Nest's
 * bare ParseUUIDPipe answers without `errors`).
 */
export const uuidParam = (field: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => Errors.validation(`${field} must be a UUID`, [{ field, message: `${field} must be a UUID` }]),
  });

/** For a POST that takes no body: any field sent is refused (400), like every other unknown field. */
export const NoBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): void => {
  const body: unknown = ctx.switchToHttp().getRequest<{ body?: unknown }>().body;
  const fields = body && typeof body === 'object' ? Object.keys(body) : [];
  if (fields.length) {
    throw Errors.validation(
      'This request takes no body',
      fields.map((field) => ({ field, message: `${field} is not allowed` })),
    );
  }
});

/**
 * An integer query parameter: only plain decimal digits are converted. `Number()` (what
 * `@Type(() => Number)` does) also takes `0x10`, `1e1`, ` 16` and `+16`; those stay strings here and
 * fail `@IsInt()`.
 */
export const QueryInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value));
