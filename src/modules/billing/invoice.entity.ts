import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import { BILLING_REASONS, INVOICE_STATUSES } from '../subscriptions/dto/invoice.dto.js';
import { Subscription } from '../subscriptions/subscription.entity.js';
import type { BillingReason, InvoiceStatus } from './invoice-drafting.rules.js';

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

  @Enum({ items: [...BILLING_REASONS] })
  billingReason!: BillingReason;

  @Enum({ items: [...INVOICE_STATUSES] })
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
