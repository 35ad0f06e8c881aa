import { Injectable } from '@nestjs/common';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { PlanLimit } from '../plans/plan-terms.js';
import type { Subscription } from './subscription.entity.js';

/**
 * Current use of each limited metric of the current tenant. `max_users` is the member count;
 * metered metrics (counters, storage) come from the metering module's counters once it exists
 * and read 0 until then.
 */
@Injectable()
export class SubscriptionUsage {
  constructor(private readonly tenancy: TenancyService) {}

  async usedByMetric(_subscription: Subscription | null, limits: PlanLimit[]): Promise<Map<string, number>> {
    const used = new Map<string, number>();
    for (const limit of limits) {
      used.set(limit.metric, limit.metric === 'max_users' ? await this.tenancy.countMembers() : 0);
    }
    return used;
  }
}
