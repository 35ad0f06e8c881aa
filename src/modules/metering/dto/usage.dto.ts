import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MetricUsageDto } from '../../subscriptions/dto/subscription.dto.js';
import { QueryInt } from '../../../common/http/params.js';
import { IsIn, IsInt, IsISO8601, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { METRIC_KEY } from '../../policies/metrics.rules.js';
import {
  GRANULARITIES,
  type Granularity,
  MAX_GAUGE_VALUE,
  MAX_QUANTITY,
  USAGE_OPERATIONS,
  type UsageOperation,
} from '../usage.rules.js';
import { Omittable } from '../../../common/http/optional.js';

const METRIC_MESSAGE = 'metric must be lowercase letters, digits and underscores';
/** Optional, but not null: a count or a level left out has a meaning, null has none. */
const IsOmittable = () => ValidateIf((_object, value) => value !== undefined);

/**
 * One usage report. Counters (`api_calls`, custom keys) take `quantity` (default 1) and reset each
 * billing period. `storage_mb` is a level: `{ "metric": "storage_mb", "operation": "set", "value": 512 }`
 * replaces it (lowering is always accepted), `quantity` adds to it. `max_users` follows the
 * membership and is not reported here.
 */
export class RecordUsageDto {
  /** @example "api_calls" */
  @ApiProperty({ pattern: METRIC_KEY.source })
  @IsString()
  @Matches(METRIC_KEY, { message: METRIC_MESSAGE })
  metric!: string;

  /** `increment` (default) adds `quantity`; `set` replaces a gauge's level with `value` (storage_mb). */
  @ApiPropertyOptional({ enum: USAGE_OPERATIONS, default: 'increment' })
  @IsOmittable()
  @IsIn(USAGE_OPERATIONS)
  operation?: UsageOperation;

  /** How much to add (operation `increment`). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_QUANTITY, default: 1 })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity?: number;

  /** The new level (operation `set`). */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_GAUGE_VALUE })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_GAUGE_VALUE)
  value?: number;

  /**
   * When the usage happened (default: now), for history; at most 5 minutes ahead of the server
   * clock. It is counted in the current billing period whatever its time.
   */
  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @IsISO8601({ strict: true })
  occurredAt?: string;

  /**
   * Makes retries safe, like the Idempotency-Key header (either may be used; both must then agree):
   * unique per tenant, a replay answers as the first report and counts nothing.
   */
  @ApiPropertyOptional({ maxLength: 255 })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  idempotencyKey?: string;
}

export class UsageWarningDto {
  @ApiProperty({ enum: ['over_limit'] })
  code!: 'over_limit';
  message!: string;
}

export class UsageRecordedDto {
  metric!: string;
  /** Use after this report: the period's counter, or the gauge's level. */
  @ApiProperty({ type: 'integer' })
  used!: number;
  /** null = unlimited. */
  @ApiProperty({ type: 'integer', nullable: true })
  limit!: number | null;
  @ApiProperty({ type: 'integer', nullable: true })
  remaining!: number | null;
  /** Present when usage is above the limit (soft limits count on and warn). */
  @ApiPropertyOptional({ type: UsageWarningDto })
  warning?: UsageWarningDto;
}

export class EntitlementQuery {
  /** Ask for this many units (default 1): `allowed` says whether they would be accepted now. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_QUANTITY, default: 1 })
  @Omittable()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity?: number;
}

/** A metric's usage, and whether the quantity asked for (default 1) would be accepted now. */
export class EntitlementDto extends MetricUsageDto {
  allowed!: boolean;
}

export class UsageSummaryDto {
  @ApiProperty({ format: 'uuid' })
  subscriptionId!: string;
  @ApiProperty({ format: 'date-time' })
  periodStart!: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd!: string;
  /** The plan's limited metrics (in plan order), then metrics in use that the plan does not limit. */
  @ApiProperty({ type: [MetricUsageDto] })
  metrics!: MetricUsageDto[];
}

export class UsageHistoryQuery {
  /** @example "api_calls" */
  @ApiProperty({ pattern: METRIC_KEY.source })
  @IsString()
  @Matches(METRIC_KEY, { message: METRIC_MESSAGE })
  metric!: string;

  /** Start of the range (inclusive). */
  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  from!: string;

  /** End of the range (exclusive). */
  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  to!: string;

  /** Bucket size (UTC hours or days); at most 1000 buckets per query. */
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day' })
  @Omittable()
  @IsIn(GRANULARITIES)
  granularity?: Granularity;
}

export class UsageBucketDto {
  @ApiProperty({ format: 'date-time' })
  start!: string;
  /** Units counted in the bucket. */
  @ApiProperty({ type: 'integer' })
  quantity!: number;
  /** Usage reports in the bucket. */
  @ApiProperty({ type: 'integer' })
  events!: number;
}

export class UsageHistoryDto {
  metric!: string;
  @ApiProperty({ enum: GRANULARITIES })
  granularity!: Granularity;
  @ApiProperty({ format: 'date-time' })
  from!: string;
  @ApiProperty({ format: 'date-time' })
  to!: string;
  /** Every bucket of the range, empty ones included, oldest first. */
  @ApiProperty({ type: [UsageBucketDto] })
  buckets!: UsageBucketDto[];
}

export class AdminUsageQuery {
  /** Start of the range (inclusive; default 30 days before `to`). */
  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @IsISO8601({ strict: true })
  from?: string;

  /** End of the range (exclusive; default now). */
  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ pattern: METRIC_KEY.source })
  @Omittable()
  @IsString()
  @Matches(METRIC_KEY, { message: METRIC_MESSAGE })
  metric?: string;

  /** Only this tenant. */
  @Omittable()
  @IsUUID()
  tenantId?: string;
}

export class MetricTotalDto {
  metric!: string;
  /** Units counted across tenants in the range. */
  @ApiProperty({ type: 'integer' })
  quantity!: number;
  @ApiProperty({ type: 'integer' })
  events!: number;
  /** Tenants that reported this metric in the range. */
  @ApiProperty({ type: 'integer' })
  tenants!: number;
}

export class AdminUsageDto {
  @ApiProperty({ format: 'date-time' })
  from!: string;
  @ApiProperty({ format: 'date-time' })
  to!: string;
  @ApiProperty({ type: [MetricTotalDto] })
  metrics!: MetricTotalDto[];
}
