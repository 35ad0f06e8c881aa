import type { Type } from '@nestjs/common';
import { PartialType } from '@nestjs/swagger';
import { IsOptional, ValidateIf } from 'class-validator';

/**
 * A body field that may be left out but not sent as `null`. class-validator's `@IsOptional()` lets
 * `null` past every other rule, and a `{"name": null}` then reached a NOT NULL column (a 500).
 */
export const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** A field that may be left out or be `null`, where null means something (e.g. "unlimited"); document it `nullable`. */
export const OmittableOrNull = () => IsOptional();

/** Every field of a body optional, as a PATCH takes it: left out is "unchanged", `null` only where the field allows it. */
export const PartialBody = <T>(body: Type<T>) => PartialType(body, { skipNullProperties: false });
