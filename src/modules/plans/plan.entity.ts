import { BigIntType } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { Interval } from '../subscriptions/billing-period.rules.js';
import type { PlanLimit } from './plan-terms.js';

export type PlanStatus = 'active' | 'archived';

@Entity({ tableName: 'plans' })
export class Plan {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  description = '';

  @Enum({ items: ['active', 'archived'] })
  status: PlanStatus = 'active';

  @Property({ type: 'integer' })
  currentVersion!: number;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}

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
