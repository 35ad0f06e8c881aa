import { Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import { Plan } from '../plans/plan.entity.js';
import { PlanVersion } from '../plans/plan-version.entity.js';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from './subscription-state.rules.js';

@Entity({ tableName: 'subscriptions' })
export class Subscription {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => Plan, { fieldName: 'plan_id' })
  plan!: Plan;

  /** The version this subscription bought; it keeps it until it changes plan. */
  @ManyToOne(() => PlanVersion, { fieldName: 'plan_version_id' })
  planVersion!: PlanVersion;

  @Enum({ items: [...SUBSCRIPTION_STATUSES] })
  status!: SubscriptionStatus;

  /** Periods are computed from this instant (month ends clamp and return to its day). */
  @Property({ type: 'timestamptz' })
  billingAnchor!: Date;

  @Property({ type: 'timestamptz' })
  currentPeriodStart!: Date;

  @Property({ type: 'timestamptz' })
  currentPeriodEnd!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  trialEnd!: Date | null;

  /** Periods billed over the subscription's life. */
  @Property({ type: 'integer' })
  cyclesBilled = 0;

  /** Full periods billed on the current plan version: a fixed term (`durationCycles`) counts these. */
  @Property({ type: 'integer' })
  cyclesOnVersion = 0;

  /** The last price-relevant change (subscribe, a change now): `prorationDate` may not precede it. */
  @Property({ type: 'timestamptz' })
  priceChangedAt!: Date;

  @Property({ type: 'boolean' })
  cancelAtPeriodEnd = false;

  /** A plan change that takes effect at the end of the current period. */
  @ManyToOne(() => PlanVersion, { fieldName: 'scheduled_plan_version_id', nullable: true })
  scheduledPlanVersion!: PlanVersion | null;

  /** The card chosen for this subscription; null follows the tenant's default (newest) card. */
  @Property({ type: 'uuid', nullable: true })
  paymentMethodId!: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Property({ type: 'text', nullable: true })
  endedReason!: string | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
