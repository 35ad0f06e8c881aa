import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';

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
