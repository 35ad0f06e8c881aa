import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The invoice as clients see it. Declared here, beside the lines that proration produces, so that a
 * plan change can answer with the invoice it billed; billing (which builds on subscriptions) fills it.
 */
export const LINE_KINDS = [
  'subscription',
  'proration_credit',
  'proration_charge',
  'credit_applied',
  'credit_to_balance',
] as const;
export type LineKind = (typeof LINE_KINDS)[number];
export const INVOICE_STATUSES = ['open', 'paid', 'void', 'uncollectible'] as const;
export const BILLING_REASONS = ['subscription_create', 'subscription_cycle', 'subscription_update', 'manual'] as const;

/** How a line's amount was computed, so it can be re-derived to the minor unit. */
export class LineCalculationDto {
  /** e.g. `-round(2500 × 1296000 / 2678400)`. */
  formula!: string;
  @ApiPropertyOptional({ type: 'integer' })
  remainingSeconds?: number;
  @ApiPropertyOptional({ type: 'integer' })
  periodSeconds?: number;
  /** remainingSeconds/periodSeconds. */
  fraction?: string;
  /** The unrounded amount, six decimals (display only). */
  exact?: string;
  @ApiProperty({ enum: ['half_away_from_zero'] })
  rounding!: 'half_away_from_zero';
}

export class InvoiceLineDto {
  /**
   * `subscription` (a full period), `proration_credit` / `proration_charge` (a change now),
   * `credit_applied` (the credit balance paying part of the invoice), `credit_to_balance` (a
   * net credit moved to the balance).
   */
  @ApiProperty({ enum: LINE_KINDS })
  kind!: LineKind;
  description!: string;
  @ApiProperty({ type: 'integer' })
  amount!: number;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  periodStart!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  periodEnd!: string | null;
  /** null for credit movements. */
  @ApiProperty({ type: LineCalculationDto, nullable: true })
  calculation!: LineCalculationDto | null;
}

/**
 * An invoice's money, in minor units: the same names and rule (billing's invoice pricing) for an
 * invoice and for the preview of the one a change would bill.
 */
export class InvoiceAmountsDto {
  /** Sum of the charge and proration lines, before credit (negative when the tenant is owed). */
  @ApiProperty({ type: 'integer' })
  subtotalAmount!: number;
  /** Credit balance used (stays applied if the invoice ends uncollectible; returned if it is voided). */
  @ApiProperty({ type: 'integer' })
  creditAppliedAmount!: number;
  /** Credit added to the balance (a net-negative subtotal). */
  @ApiProperty({ type: 'integer' })
  creditAddedAmount!: number;
  /** The sum of all lines: what is asked of the card (subtotal less credit applied, never negative). */
  @ApiProperty({ type: 'integer' })
  totalAmount!: number;
  /** What is due by card: `totalAmount`, or 0 once an invoice is void. */
  @ApiProperty({ type: 'integer' })
  amountDue!: number;
}

export class InvoiceDto extends InvoiceAmountsDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  /** Sequential per tenant. @example "INV-000001" */
  number!: string;
  @ApiProperty({ enum: INVOICE_STATUSES })
  status!: (typeof INVOICE_STATUSES)[number];
  @ApiProperty({ enum: BILLING_REASONS })
  billingReason!: (typeof BILLING_REASONS)[number];
  @ApiProperty({ format: 'uuid' })
  subscriptionId!: string;
  currency!: string;
  /** What card payments collected. */
  @ApiProperty({ type: 'integer' })
  amountPaid!: number;
  /** Still owed: `amountDue − amountPaid` while open (or written off, when uncollectible); 0 otherwise. */
  @ApiProperty({ type: 'integer' })
  amountRemaining!: number;
  @ApiProperty({ type: [InvoiceLineDto] })
  lines!: InvoiceLineDto[];
  /** The service period the invoice bills (for a change now: the effective time to the end of the period its charge lines cover). */
  @ApiProperty({ format: 'date-time' })
  periodStart!: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd!: string;
  /** Every charge attempt, the tenant's own "pay now" included. */
  @ApiProperty({ type: 'integer' })
  attemptCount!: number;
  /** Attempts of the dunning schedule only (the first automatic charge and its retries). */
  @ApiProperty({ type: 'integer' })
  autoAttemptCount!: number;
  /** When the schedule retries next; null when paid, void, uncollectible or not yet attempted. */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  paidAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}
