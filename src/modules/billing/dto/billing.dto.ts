import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { Omittable } from '../../../common/http/optional.js';
import { PageQuery } from '../../../common/http/pagination.js';
import { fromMinor } from '../../../common/money.js';
import { InvoiceDto } from '../../subscriptions/dto/invoice.dto.js';
import type { InvoiceLine } from '../invoice-line.entity.js';
import type { Invoice } from '../invoice.entity.js';
import type { PaymentMethod } from '../payment-method.entity.js';
import type { Payment } from '../payment.entity.js';
import { CREDIT_REASONS, type CreditReason } from '../credit.rules.js';

export class AddPaymentMethodDto {
  /** Card number, digits only (spaces are ignored). Test cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000009995 has insufficient funds. */
  @ApiProperty({ example: '4242424242424242' })
  @Transform(({ value }) => (typeof value === 'string' ? value.replace(/\s+/g, '') : value))
  @IsString()
  @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 12, example: 12 })
  @IsInt()
  @Min(1)
  @Max(12)
  expMonth!: number;

  @ApiProperty({ type: 'integer', minimum: 2000, maximum: 2100, example: 2034 })
  @IsInt()
  @Min(2000)
  @Max(2100)
  expYear!: number;
}

export class PaymentMethodDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  brand!: string;
  last4!: string;
  @ApiProperty({ type: 'integer' })
  expMonth!: number;
  @ApiProperty({ type: 'integer' })
  expYear!: number;
  /** The newest card is the default: renewals and first charges use it. */
  isDefault!: boolean;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(pm: PaymentMethod, isDefault: boolean): PaymentMethodDto {
    return {
      id: pm.id,
      brand: pm.brand,
      last4: pm.last4,
      expMonth: pm.expMonth,
      expYear: pm.expYear,
      isDefault,
      createdAt: pm.createdAt.toISOString(),
    };
  }
}

/** What the invoice view reads: a stored invoice, or one just drafted. */
export type InvoiceView = Pick<
  Invoice,
  | 'id'
  | 'number'
  | 'status'
  | 'billingReason'
  | 'currency'
  | 'subtotalAmount'
  | 'creditAppliedAmount'
  | 'creditAddedAmount'
  | 'totalAmount'
  | 'periodStart'
  | 'periodEnd'
  | 'attemptCount'
  | 'autoAttemptCount'
  | 'nextAttemptAt'
  | 'paidAt'
  | 'createdAt'
> & { subscription: { id: string } };

/** An invoice as the API answers it (the DTO is declared beside the lines proration produces). */
export function invoiceDto(
  invoice: InvoiceView,
  lines: Pick<InvoiceLine, 'kind' | 'description' | 'amount' | 'periodStart' | 'periodEnd' | 'calculation'>[],
): InvoiceDto {
  const due = invoice.status === 'void' ? 0n : invoice.totalAmount;
  // Card payments are whole: a paid invoice collected its total, any other nothing.
  const paid = invoice.status === 'paid' ? invoice.totalAmount : 0n;
  const owing = invoice.status === 'open' || invoice.status === 'uncollectible';
  return {
    id: invoice.id,
    number: invoice.number,
    status: invoice.status,
    billingReason: invoice.billingReason,
    subscriptionId: invoice.subscription.id,
    currency: invoice.currency,
    subtotalAmount: fromMinor(invoice.subtotalAmount),
    creditAppliedAmount: fromMinor(invoice.creditAppliedAmount),
    creditAddedAmount: fromMinor(invoice.creditAddedAmount),
    totalAmount: fromMinor(invoice.totalAmount),
    amountDue: fromMinor(due),
    amountPaid: fromMinor(paid),
    amountRemaining: fromMinor(owing ? due - paid : 0n),
    lines: lines.map((line) => ({
      kind: line.kind,
      description: line.description,
      amount: fromMinor(line.amount),
      periodStart: line.periodStart?.toISOString() ?? null,
      periodEnd: line.periodEnd?.toISOString() ?? null,
      calculation: line.calculation,
    })),
    periodStart: invoice.periodStart.toISOString(),
    periodEnd: invoice.periodEnd.toISOString(),
    attemptCount: invoice.attemptCount,
    autoAttemptCount: invoice.autoAttemptCount,
    nextAttemptAt: invoice.nextAttemptAt?.toISOString() ?? null,
    paidAt: invoice.paidAt?.toISOString() ?? null,
    createdAt: invoice.createdAt.toISOString(),
  };
}

export class PaymentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  invoiceId!: string;
  invoiceNumber!: string;
  @ApiProperty({ type: 'integer' })
  amount!: number;
  currency!: string;
  @ApiProperty({ enum: ['succeeded', 'failed'] })
  status!: string;
  /** card_declined, insufficient_funds, … */
  @ApiProperty({ type: String, nullable: true })
  failureCode!: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  paymentMethodId!: string | null;
  /** 1 for the first charge of the invoice, then each retry. */
  @ApiProperty({ type: 'integer' })
  attempt!: number;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(p: Payment): PaymentDto {
    return {
      id: p.id,
      invoiceId: p.invoice.id,
      invoiceNumber: p.invoice.number,
      amount: fromMinor(p.amount),
      currency: p.currency,
      status: p.status,
      failureCode: p.failureCode,
      paymentMethodId: p.paymentMethodId,
      attempt: p.attempt,
      createdAt: p.createdAt.toISOString(),
    };
  }
}

export class BillingListQuery extends PageQuery {}

export class CreditBalanceQuery extends PageQuery {
  /** Only this currency's balance and entries. */
  @ApiPropertyOptional({ example: 'USD' })
  @Omittable()
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO-4217 code such as USD' })
  currency?: string;
}

export class CreditBalanceDto {
  currency!: string;
  /** Credit available to later invoices (never negative). */
  @ApiProperty({ type: 'integer' })
  amount!: number;
}

/** One movement of the credit balance (the ledger is append-only). */
export class CreditEntryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  currency!: string;
  /** Positive adds credit, negative uses it. */
  @ApiProperty({ type: 'integer' })
  amount!: number;
  /**
   * `proration_credit` (a change now owed the tenant money), `cancellation_credit` (unused time of a
   * cancel now with `prorate`), `applied_to_invoice` (used by an invoice), `invoice_voided` (given
   * back when the invoice that used it was voided).
   */
  @ApiProperty({ enum: CREDIT_REASONS })
  reason!: CreditReason;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  invoiceId!: string | null;
  @ApiProperty({ type: String, nullable: true })
  invoiceNumber!: string | null;
  /** The balance in this currency right after this entry. */
  @ApiProperty({ type: 'integer' })
  balanceAfter!: number;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

/** The balances and a page of the ledger, newest first. */
export class CreditBalancePageDto {
  @ApiProperty({ type: [CreditBalanceDto] })
  balances!: CreditBalanceDto[];
  @ApiProperty({ type: [CreditEntryDto] })
  data!: CreditEntryDto[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
