import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import { Plan } from './plan.entity.js';
import type { Interval, PlanLimit } from './plan-terms.rules.js';

/** A plan's commercial terms at one point in time. Immutable: an edit publishes the next version. */
@Entity({ tableName: 'plan_versions' })
@Unique({ properties: ['plan', 'version'] })
export class PlanVersion {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Plan, { fieldName: 'plan_id' })
  plan!: Plan;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: new BigIntType('bigint') })
  priceAmount!: bigint;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Enum({ items: ['day', 'week', 'month', 'year'] })
  interval!: Interval;

  @Property({ type: 'integer' })
  intervalCount!: number;

  @Property({ type: 'integer' })
  trialDays!: number;

  @Property({ type: 'integer', nullable: true })
  durationCycles!: number | null;

  @Property({ type: 'json' })
  limits!: PlanLimit[];

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
