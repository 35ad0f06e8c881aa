import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import { Invoice } from './invoice.entity.js';

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
