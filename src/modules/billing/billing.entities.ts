import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { LineKind } from '../subscriptions/dto/invoice.dto.js';
import type { Line } from '../subscriptions/proration.rules.js';
import { Subscription } from '../subscriptions/subscription.entity.js';
import type { CreditReason } from './credit.rules.js';

/** A card on file: only brand, last4 and expiry, plus the provider's opaque token. */
@Entity({ tableName: 'payment_methods' })
export class PaymentMethod {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  brand!: string;

  @Property({ type: 'character', length: 4 })
  last4!: string;

  @Property({ type: 'integer' })
  expMonth!: number;

  @Property({ type: 'integer' })
  expYear!: number;

  @Property({ type: 'text', hidden: true })
  providerToken!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

export type InvoiceStatus = 'open' | 'paid' | 'void' | 'uncollectible';
export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';

@Entity({ tableName: 'invoices' })
export class Invoice {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  /** Sequential per tenant: INV-000001, INV-000002, … */
  @Property({ type: 'text' })
  number!: string;

  @ManyToOne(() => Subscription, { fieldName: 'subscription_id' })
  subscription!: Subscription;

  @Enum({ items: ['subscription_create', 'subscription_cycle', 'subscription_update', 'manual'] })
  billingReason!: BillingReason;

  @Enum({ items: ['open', 'paid', 'void', 'uncollectible'] })
  status!: InvoiceStatus;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  /** Sum of the lines before credit. */
  @Property({ type: new BigIntType('bigint') })
  subtotalAmount!: bigint;

  @Property({ type: new BigIntType('bigint') })
  creditAppliedAmount = 0n;

  /** Credit this invoice added to the balance (a net-negative subtotal). */
  @Property({ type: new BigIntType('bigint') })
  creditAddedAmount = 0n;

  /** What is charged: subtotal less credit, never negative. */
  @Property({ type: new BigIntType('bigint') })
  totalAmount!: bigint;

  @Property({ type: 'timestamptz' })
  periodStart!: Date;

  @Property({ type: 'timestamptz' })
  periodEnd!: Date;

  /** Every charge attempt (the charge key's attempt number), "pay now" included. */
  @Property({ type: 'integer' })
  attemptCount = 0;

  /** The dunning schedule's own attempts (first automatic charge and retries). */
  @Property({ type: 'integer' })
  autoAttemptCount = 0;

  /** When the first automatic attempt failed (retries are counted from here). */
  @Property({ type: 'timestamptz', nullable: true })
  dunningStartedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}

@Entity({ tableName: 'invoice_lines' })
export class InvoiceLine {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => Invoice, { fieldName: 'invoice_id' })
  invoice!: Invoice;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'text' })
  kind!: LineKind;

  @Property({ type: 'text' })
  description!: string;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'timestamptz', nullable: true })
  periodStart!: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  periodEnd!: Date | null;

  /** How the amount was computed (fraction, exact value, rounding), so it can be re-derived to the cent. */
  @Property({ type: 'json', nullable: true })
  calculation!: Line['calculation'] | null;
}

export type PaymentStatus = 'succeeded' | 'failed';

/** One charge attempt on an invoice, successful or not. */
@Entity({ tableName: 'payments' })
export class Payment {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => Invoice, { fieldName: 'invoice_id' })
  invoice!: Invoice;

  @Property({ type: 'uuid', nullable: true })
  paymentMethodId!: string | null;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Enum({ items: ['succeeded', 'failed'] })
  status!: PaymentStatus;

  @Property({ type: 'text', nullable: true })
  failureCode!: string | null;

  @Property({ type: 'text', nullable: true })
  providerChargeId!: string | null;

  /** The gateway idempotency key of this attempt (its charge intent's); null when no card was charged. */
  @Property({ type: 'text', nullable: true })
  chargeKey: string | null = null;

  @Property({ type: 'integer' })
  attempt!: number;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Append-only tenant credit (see credit.rules.ts): positive adds, negative uses it on an invoice. */
@Entity({ tableName: 'credit_ledger' })
export class CreditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'text' })
  reason!: CreditReason;

  @ManyToOne(() => Invoice, { fieldName: 'invoice_id', nullable: true })
  invoice!: Invoice | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
