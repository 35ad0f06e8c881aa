import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsUUID, ValidateIf } from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import type { Line } from '../proration.rules.js';
import { Omittable } from '../../../common/http/optional.js';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../subscription-state.rules.js';
import { InvoiceAmountsDto, InvoiceDto, LineCalculationDto } from './invoice.dto.js';

export const TIMINGS = ['now', 'period_end'] as const;
export type Timing = (typeof TIMINGS)[number];

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
   * it showed). Must lie in the current period, within the last hour, not in the future, and not
   * before the last price-relevant change (the subscribe or a change now; cancelling or resuming
   * does not count).
   */
  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @IsISO8601({ strict: true })
  prorationDate?: string;
}

export class CancelDto {
  /**
   * true (default): end at the end of the current period; false: end now — the subscription's open
   * invoices are voided (nothing is collected after an ending) and their credit returned.
   */
  @ApiPropertyOptional({ default: true })
  @Omittable()
  @IsBoolean()
  atPeriodEnd?: boolean;

  /**
   * With `atPeriodEnd: false`: credit the unused time of the current period to the credit balance,
   * `round(price × remaining / period)`, when that period was paid (not trialing, no open
   * invoice). Default false, as Stripe's.
   */
  @ApiPropertyOptional({ default: false })
  @Omittable()
  @IsBoolean()
  prorate?: boolean;
}

export class SetPaymentMethodDto {
  /** The card renewals and retries of this subscription charge; null follows the tenant's default (newest) card. */
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  @ValidateIf((_dto: object, value: unknown) => value !== null) // required, but null is a value
  @IsUUID()
  paymentMethodId!: string | null;
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

/** A metric's use against its limit: the subscription's usage, `GET /v1/usage` and entitlements share it. */
export class MetricUsageDto {
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
  /** null when the plan sets no limit. */
  @ApiProperty({ enum: ['hard', 'soft'], nullable: true })
  enforcement!: 'hard' | 'soft' | null;
  /** When a counter starts again from zero (the period end); null for gauges. */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  resetsAt!: string | null;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  /** `incomplete_expired`: the first charge failed, so it never started (not churn). */
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES })
  status!: SubscriptionStatus;
  plan!: PlanRefDto;
  @ApiProperty({ type: 'integer' })
  priceAmount!: number;
  currency!: string;
  interval!: string;
  @ApiProperty({ type: 'integer' })
  intervalCount!: number;
  /** Periods are computed from this instant (month ends clamp, then return to its day). */
  @ApiProperty({ format: 'date-time' })
  billingAnchor!: string;
  /** The card this subscription charges; null = the tenant's default (newest) card. */
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  paymentMethodId!: string | null;
  @ApiProperty({ format: 'date-time' })
  currentPeriodStart!: string;
  @ApiProperty({ format: 'date-time' })
  currentPeriodEnd!: string;
  cancelAtPeriodEnd!: boolean;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  trialEnd!: string | null;
  @ApiProperty({ type: ScheduledChangeDto, nullable: true })
  scheduledChange!: ScheduledChangeDto | null;
  /** Periods billed over the subscription's life. */
  @ApiProperty({ type: 'integer' })
  cyclesBilled!: number;
  /** Full periods billed on the current plan version: a fixed term (`durationCycles`) ends after that many. */
  @ApiProperty({ type: 'integer' })
  cyclesOnVersion!: number;
  @ApiProperty({ type: [MetricUsageDto] })
  usage!: MetricUsageDto[];
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  endedAt!: string | null;
  @ApiProperty({ type: String, nullable: true })
  endedReason!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class PreviewLineDto {
  @ApiProperty({ enum: ['subscription', 'proration_credit', 'proration_charge'] })
  kind!: Line['kind'];
  description!: string;
  @ApiProperty({ type: 'integer' })
  amount!: number;
  @ApiProperty({ format: 'date-time' })
  periodStart!: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd!: string;
  /** How the amount was computed: formula, seconds, fraction, exact value, rounding. */
  calculation!: LineCalculationDto;
}

/** The invoice a change would bill now, priced as it would be (its amounts: InvoiceAmountsDto). */
export class ChangePreviewDto extends InvoiceAmountsDto {
  plan!: PlanRefDto;
  @ApiProperty({ enum: TIMINGS })
  timing!: Timing;
  /** When the change takes effect. */
  @ApiProperty({ format: 'date-time' })
  effectiveAt!: string;
  currency!: string;
  @ApiProperty({ type: [PreviewLineDto] })
  lines!: PreviewLineDto[];
}

export class ChangeResultDto {
  subscription!: SubscriptionDto;
  /** The proration invoice billed now (collected in the background), if any. */
  @ApiProperty({ type: InvoiceDto, nullable: true })
  invoice!: InvoiceDto | null;
}
