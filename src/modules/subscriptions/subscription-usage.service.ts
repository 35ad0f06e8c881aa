import { Injectable } from '@nestjs/common';
import type { PlanLimit } from '../plans/plan-terms.rules.js';
import { MeteredUsage } from './metered-usage.port.js';
import type { Subscription } from './subscription.entity.js';

/**
 * Current use of each limited metric of the current tenant, from metering (the SQL behind
 * GET /v1/usage): `max_users` is the member count, counters are of the subscription's current
 * period (none without a subscription), gauges such as storage are the tenant's levels.
 */
@Injectable()
export class SubscriptionUsage {
  constructor(private readonly metered: MeteredUsage) {}

  async usedByMetric(subscription: Subscription | null, limits: PlanLimit[]): Promise<Map<string, number>> {
    if (!limits.length) return new Map();
    const used = await this.metered.current(
      subscription,
      limits.map((l) => l.metric),
    );
    return new Map(limits.map((l) => [l.metric, used.get(l.metric) ?? 0]));
  }
}
