import { BigIntType } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { LineKind } from '../subscriptions/dto/invoice.dto.js';
import type { Line } from '../subscriptions/proration.rules.js';
import { Invoice } from './invoice.entity.js';

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
