import { Injectable } from '@nestjs/common';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { PlanLimit } from '../plans/plan-terms.js';
import { MeteredUsage } from './metered-usage.port.js';
import type { Subscription } from './subscription.entity.js';

/**
 * Current use of each limited metric of the current tenant. `max_users` is the member count;
 * counters (of the subscription's current period) and gauges such as storage come from metering.
 */
@Injectable()
export class SubscriptionUsage {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly metered: MeteredUsage,
  ) {}

  async usedByMetric(subscription: Subscription | null, limits: PlanLimit[]): Promise<Map<string, number>> {
    const others = limits.map((l) => l.metric).filter((metric) => metric !== 'max_users');
    const metered = others.length ? await this.metered.current(subscription, others) : new Map<string, number>();
    const members = limits.some((l) => l.metric === 'max_users') ? await this.tenancy.countMembers() : 0;
    return new Map(limits.map((l) => [l.metric, l.metric === 'max_users' ? members : (metered.get(l.metric) ?? 0)]));
  }
}
