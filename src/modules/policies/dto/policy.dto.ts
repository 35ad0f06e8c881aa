import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import { METRIC_KEY } from '../metrics.rules.js';
import type { Policy } from '../policy.entity.js';
import { Omittable, PartialBody } from '../../../common/http/optional.js';

export class CreatePolicyDto {
  /** @example "Up to 10 users" */
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  /** `max_users`, `api_calls`, `storage_mb`, or a custom counter key (lowercase, digits, underscores). */
  @ApiProperty({ example: 'api_calls', pattern: METRIC_KEY.source })
  @IsString()
  @Matches(METRIC_KEY, { message: 'metric must be lowercase letters, digits and underscores' })
  metric!: string;

  /** The limit; null = unlimited. */
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, example: 1000 })
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  limit!: number | null;

  @ApiPropertyOptional({ enum: ['hard', 'soft'], default: 'hard' })
  @Omittable()
  @IsIn(['hard', 'soft'])
  enforcement?: 'hard' | 'soft';

  /** Usage percentages that raise a warning. */
  @ApiPropertyOptional({ type: [Number], default: [80, 100], example: [80, 100] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(1000, { each: true })
  warningThresholds?: number[];
}

/** Any field of a policy but its metric. */
export class UpdatePolicyDto extends PartialBody(OmitType(CreatePolicyDto, ['metric'] as const)) {}

export class PolicyQuery extends PageQuery {}

export class PolicyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  name!: string;
  metric!: string;
  /** gauge (a level, e.g. members) or counter (resets each billing period). */
  @ApiProperty({ enum: ['gauge', 'counter'] })
  kind!: 'gauge' | 'counter';
  @ApiProperty({ type: 'integer', nullable: true })
  limit!: number | null;
  @ApiProperty({ enum: ['hard', 'soft'] })
  enforcement!: 'hard' | 'soft';
  @ApiProperty({ type: [Number] })
  warningThresholds!: number[];
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  static from(p: Policy): PolicyDto {
    return {
      id: p.id,
      name: p.name,
      metric: p.metric,
      kind: p.kind,
      limit: p.limit,
      enforcement: p.enforcement,
      warningThresholds: p.warningThresholds,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    };
  }
}
