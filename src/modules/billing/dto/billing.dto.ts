import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import { fromMinor } from '../../../common/money.js';
import type { Invoice, InvoiceLine, Payment, PaymentMethod } from '../billing.entities.js';

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

export class InvoiceLineDto {
  /** subscription, proration_credit, proration_charge, credit_applied, credit_to_balance */
  kind!: string;
  description!: string;
  @ApiProperty({ type: 'integer' })
  amount!: number;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  periodStart!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  periodEnd!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  calculation!: Record<string, unknown> | null;

  static from(line: InvoiceLine): InvoiceLineDto {
    return {
      kind: line.kind,
      description: line.description,
      amount: fromMinor(line.amount),
      periodStart: line.periodStart?.toISOString() ?? null,
      periodEnd: line.periodEnd?.toISOString() ?? null,
      calculation: line.calculation,
    };
  }
}

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  /** Sequential per tenant. @example "INV-000001" */
  number!: string;
  @ApiProperty({ enum: ['open', 'paid', 'void', 'uncollectible'] })
  status!: string;
  @ApiProperty({ enum: ['subscription_create', 'subscription_cycle', 'subscription_update', 'manual'] })
  billingReason!: string;
  @ApiProperty({ format: 'uuid' })
  subscriptionId!: string;
  currency!: string;
  /** Sum of the charge and proration lines, before credit. */
  @ApiProperty({ type: 'integer' })
  subtotalAmount!: number;
  @ApiProperty({ type: 'integer' })
  creditAppliedAmount!: number;
  /** What is (or was) collected: the sum of all lines. */
  @ApiProperty({ type: 'integer' })
  totalAmount!: number;
  @ApiProperty({ type: [InvoiceLineDto] })
  lines!: InvoiceLineDto[];
  @ApiProperty({ format: 'date-time' })
  periodStart!: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd!: string;
  @ApiProperty({ type: 'integer' })
  attemptCount!: number;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  paidAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(invoice: Invoice, lines: InvoiceLine[]): InvoiceDto {
    return {
      id: invoice.id,
      number: invoice.number,
      status: invoice.status,
      billingReason: invoice.billingReason,
      subscriptionId: invoice.subscription.id,
      currency: invoice.currency,
      subtotalAmount: fromMinor(invoice.subtotalAmount),
      creditAppliedAmount: fromMinor(invoice.creditAppliedAmount),
      totalAmount: fromMinor(invoice.totalAmount),
      lines: lines.map(InvoiceLineDto.from),
      periodStart: invoice.periodStart.toISOString(),
      periodEnd: invoice.periodEnd.toISOString(),
      attemptCount: invoice.attemptCount,
      nextAttemptAt: invoice.nextAttemptAt?.toISOString() ?? null,
      paidAt: invoice.paidAt?.toISOString() ?? null,
      createdAt: invoice.createdAt.toISOString(),
    };
  }
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
