import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { Enforcement, MetricKind } from './metrics.rules.js';

/** A limit template in the catalog; plans snapshot it into each published version. */
@Entity({ tableName: 'policies' })
export class Policy {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  metric!: string;

  @Enum({ items: ['gauge', 'counter'] })
  kind!: MetricKind;

  @Property({ type: new BigIntType('number'), nullable: true, fieldName: 'limit' })
  limit!: number | null;

  @Enum({ items: ['hard', 'soft'] })
  enforcement!: Enforcement;

  @Property({ type: 'json' })
  warningThresholds!: number[];

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
