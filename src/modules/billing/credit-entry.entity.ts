import { BigIntType } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { CreditReason } from './credit.rules.js';
import { Invoice } from './invoice.entity.js';

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
