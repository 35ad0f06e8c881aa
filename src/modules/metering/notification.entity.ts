import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';

/** A notice to the tenant; limit warnings are unique per subscription × metric × period × threshold. */
@Entity({ tableName: 'notifications' })
export class Notification {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Enum({ items: ['limit_warning'] })
  kind!: 'limit_warning';

  @Property({ type: 'uuid', nullable: true })
  subscriptionId!: string | null;

  @Property({ type: 'text', nullable: true })
  metric!: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  periodStart!: Date | null;

  @Property({ type: 'integer', nullable: true })
  threshold!: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  used!: number | null;

  @Property({ type: new BigIntType('number'), nullable: true, fieldName: 'limit' })
  limit!: number | null;

  @Property({ type: 'text' })
  message!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
