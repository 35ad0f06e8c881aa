import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import { IsCurrency } from '../../../common/money.validators.js';
import type { Plan } from '../plan.entity.js';
import type { PlanVersion } from '../plan-version.entity.js';
import { Omittable, OmittableOrNull, PartialBody } from '../../../common/http/optional.js';

export const INTERVALS = ['day', 'week', 'month', 'year'] as const;
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);

export class CreatePlanDto {
  /** Unique, stable identifier. @example "pro" */
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: 'code must be lowercase letters, digits, _ or -' })
  code!: string;

  /** @example "Pro" */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @Omittable()
  @IsString()
  @MaxLength(2000)
  description?: string;

  /** Price per interval in minor units (4900 = 49.00). */
  @ApiProperty({ type: 'integer', minimum: 0, example: 4900 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  priceAmount!: number;

  /** ISO 4217 code. */
  @ApiProperty({ example: 'USD' })
  @Transform(upper)
  @IsCurrency()
  currency!: string;

  @ApiProperty({ enum: INTERVALS })
  @IsIn(INTERVALS)
  interval!: (typeof INTERVALS)[number];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 365, default: 1 })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(365)
  intervalCount?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 730, default: 0 })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(730)
  trialDays?: number;

  /** Number of paid periods, then the subscription expires; null = until cancelled. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, nullable: true, default: null })
  @OmittableOrNull()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(10000)
  durationCycles?: number | null;

  /** Limit policies of the plan (one per metric). */
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  policyIds?: string[];
}

/** Any field of a plan but its code; terms changes publish a new version. */
export class UpdatePlanDto extends PartialBody(OmitType(CreatePlanDto, ['code'] as const)) {}

export class PlanQuery extends PageQuery {
  /** Platform admins may list archived plans too. */
  @ApiPropertyOptional({ enum: ['active', 'archived'] })
  @Omittable()
  @IsIn(['active', 'archived'])
  status?: 'active' | 'archived';
}

export class PlanVersionQuery extends PageQuery {}

export class PlanLimitDto {
  @ApiProperty({ format: 'uuid' })
  policyId!: string;
  metric!: string;
  @ApiProperty({ enum: ['gauge', 'counter'] })
  kind!: 'gauge' | 'counter';
  @ApiProperty({ type: 'integer', nullable: true })
  limit!: number | null;
  @ApiProperty({ enum: ['hard', 'soft'] })
  enforcement!: 'hard' | 'soft';
  @ApiProperty({ type: [Number] })
  warningThresholds!: number[];
}

export class PlanVersionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ type: 'integer' })
  version!: number;
  @ApiProperty({ type: 'integer' })
  priceAmount!: number;
  currency!: string;
  @ApiProperty({ enum: INTERVALS })
  interval!: (typeof INTERVALS)[number];
  @ApiProperty({ type: 'integer' })
  intervalCount!: number;
  @ApiProperty({ type: 'integer' })
  trialDays!: number;
  @ApiProperty({ type: 'integer', nullable: true })
  durationCycles!: number | null;
  @ApiProperty({ type: [PlanLimitDto] })
  limits!: PlanLimitDto[];
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(v: PlanVersion): PlanVersionDto {
    return {
      id: v.id,
      version: v.version,
      priceAmount: Number(v.priceAmount),
      currency: v.currency,
      interval: v.interval,
      intervalCount: v.intervalCount,
      trialDays: v.trialDays,
      durationCycles: v.durationCycles,
      limits: v.limits,
      createdAt: v.createdAt.toISOString(),
    };
  }
}

export class PlanDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  code!: string;
  name!: string;
  description!: string;
  @ApiProperty({ enum: ['active', 'archived'] })
  status!: 'active' | 'archived';
  /** The current (latest) version: what a new subscription buys. */
  @ApiProperty({ type: 'integer' })
  version!: number;
  @ApiProperty({ format: 'uuid' })
  versionId!: string;
  @ApiProperty({ type: 'integer', example: 4900 })
  priceAmount!: number;
  currency!: string;
  @ApiProperty({ enum: INTERVALS })
  interval!: (typeof INTERVALS)[number];
  @ApiProperty({ type: 'integer' })
  intervalCount!: number;
  @ApiProperty({ type: 'integer' })
  trialDays!: number;
  @ApiProperty({ type: 'integer', nullable: true })
  durationCycles!: number | null;
  @ApiProperty({ type: [PlanLimitDto] })
  limits!: PlanLimitDto[];
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  static from(plan: Plan, version: PlanVersion): PlanDto {
    const v = PlanVersionDto.from(version);
    return {
      id: plan.id,
      code: plan.code,
      name: plan.name,
      description: plan.description,
      status: plan.status,
      version: v.version,
      versionId: v.id,
      priceAmount: v.priceAmount,
      currency: v.currency,
      interval: v.interval,
      intervalCount: v.intervalCount,
      trialDays: v.trialDays,
      durationCycles: v.durationCycles,
      limits: v.limits,
      createdAt: plan.createdAt.toISOString(),
      updatedAt: plan.updatedAt.toISOString(),
    };
  }
}
