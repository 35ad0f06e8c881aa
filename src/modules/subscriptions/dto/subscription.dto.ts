import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsUUID } from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import { Omittable } from '../../../common/http/optional.js';

export const TIMINGS = ['now', 'period_end'] as const;
export type Timing = (typeof TIMINGS)[number];
export const STATUSES = ['trialing', 'active', 'past_due', 'cancelled', 'expired'] as const;

export class SubscribeDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  planId!: string;

  /** Card to charge; the default (newest) card when left out. */
  @ApiPropertyOptional({ format: 'uuid' })
  @Omittable()
  @IsUUID()
  paymentMethodId?: string;
}

export class ChangePlanDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  planId!: string;

  /** `now` (default for upgrades, prorated) or `period_end` (default for downgrades, scheduled). */
  @ApiPropertyOptional({ enum: TIMINGS })
  @Omittable()
  @IsIn(TIMINGS)
  timing?: Timing;

  /**
   * Prorate as of this instant instead of now (pass a preview's `effectiveAt` to bill exactly what
   * it showed). Must lie in the current period, within the last hour, and not in the future.
   */
  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @IsISO8601({ strict: true })
  prorationDate?: string;
}

export class CancelDto {
  /** true (default): end at the end of the current period; false: end now. */
  @ApiPropertyOptional({ default: true })
  @Omittable()
  @IsBoolean()
  atPeriodEnd?: boolean;
}

export class SubscriptionHistoryQuery extends PageQuery {}

export class PlanRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  code!: string;
  name!: string;
  @ApiProperty({ type: 'integer' })
  version!: number;
}

export class ScheduledChangeDto {
  plan!: PlanRefDto;
  @ApiProperty({ format: 'date-time' })
  effectiveAt!: string;
}

export class UsageDto {
  metric!: string;
  @ApiProperty({ enum: ['gauge', 'counter'] })
  kind!: 'gauge' | 'counter';
  @ApiProperty({ type: 'integer' })
  used!: number;
  /** null = unlimited. */
  @ApiProperty({ type: 'integer', nullable: true })
  limit!: number | null;
  @ApiProperty({ type: 'integer', nullable: true })
  remaining!: number | null;
  @ApiProperty({ enum: ['hard', 'soft'] })
  enforcement!: 'hard' | 'soft';
  /** When a counter starts again from zero (the period end); null for gauges. */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  resetsAt!: string | null;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: STATUSES })
  status!: (typeof STATUSES)[number];
  plan!: PlanRefDto;
  @ApiProperty({ type: 'integer' })
  priceAmount!: number;
  currency!: string;
  interval!: string;
  @ApiProperty({ type: 'integer' })
  intervalCount!: number;
  @ApiProperty({ format: 'date-time' })
  currentPeriodStart!: string;
  @ApiProperty({ format: 'date-time' })
  currentPeriodEnd!: string;
  cancelAtPeriodEnd!: boolean;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  trialEnd!: string | null;
  @ApiProperty({ type: ScheduledChangeDto, nullable: true })
  scheduledChange!: ScheduledChangeDto | null;
  /** Paid periods so far. */
  @ApiProperty({ type: 'integer' })
  cyclesBilled!: number;
  @ApiProperty({ type: [UsageDto] })
  usage!: UsageDto[];
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  endedAt!: string | null;
  @ApiProperty({ type: String, nullable: true })
  endedReason!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class PreviewLineDto {
  @ApiProperty({ enum: ['subscription', 'proration_credit', 'proration_charge'] })
  kind!: string;
  description!: string;
  @ApiProperty({ type: 'integer' })
  amount!: number;
  @ApiProperty({ format: 'date-time' })
  periodStart!: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd!: string;
  /** How the amount was computed: formula, seconds, fraction, exact value, rounding. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  calculation!: Record<string, unknown>;
}

export class ChangePreviewDto {
  plan!: PlanRefDto;
  @ApiProperty({ enum: TIMINGS })
  timing!: Timing;
  /** When the change takes effect. */
  @ApiProperty({ format: 'date-time' })
  effectiveAt!: string;
  currency!: string;
  @ApiProperty({ type: [PreviewLineDto] })
  lines!: PreviewLineDto[];
  /** Sum of the lines (negative = credit for the tenant). */
  @ApiProperty({ type: 'integer' })
  subtotal!: number;
  /** Tenant credit used by this invoice. */
  @ApiProperty({ type: 'integer' })
  creditApplied!: number;
  /** What will be charged now. */
  @ApiProperty({ type: 'integer' })
  total!: number;
  /** Credit added to the tenant's balance when the subtotal is negative. */
  @ApiProperty({ type: 'integer' })
  creditAdded!: number;
}

export class ChangeResultDto {
  subscription!: SubscriptionDto;
  /** The proration invoice billed now (collected in the background), if any. */
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  invoice!: { id: string; number: string; status: string; totalAmount: number } | null;
}
