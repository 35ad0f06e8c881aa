import { Injectable } from '@nestjs/common';
import type { TenantId } from '../../common/auth/caller.js';
import type { PlanLimit } from '../plans/plan-terms.rules.js';
import { MeteredUsage } from './metered-usage.port.js';

/**
 * Current use of each limited metric of a tenant, from metering (the SQL behind
 * GET /v1/usage): `max_users` is the member count, counters are of the subscription's current
 * period (none without a subscription), gauges such as storage are the tenant's levels.
 */
@Injectable()
export class SubscriptionUsage {
  constructor(private readonly metered: MeteredUsage) {}

  /** The tenant's use; its subscription (read in the tenant's transaction) names the counters' period. */
  async usedByMetric(
    tenantId: TenantId,
    subscription: { id: string; currentPeriodStart: Date } | null,
    limits: PlanLimit[],
  ): Promise<Map<string, number>> {
    if (!limits.length) return new Map();
    const period = subscription && { subscriptionId: subscription.id, periodStart: subscription.currentPeriodStart };
    const used = await this.metered.current(
      tenantId,
      period,
      limits.map((l) => l.metric),
    );
    return new Map(limits.map((l) => [l.metric, used.get(l.metric) ?? 0]));
  }
}
