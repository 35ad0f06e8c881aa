import { Injectable } from '@nestjs/common';
import { trustedTenantId } from '../../common/auth/caller.js';
import { RequestContext } from '../../common/context/request-context.js';
import { MeteredUsage } from '../subscriptions/metered-usage.port.js';
import type { Subscription } from '../subscriptions/subscription.entity.js';
import { UsageRepository } from './usage.repository.js';

/**
 * The subscriptions module's MeteredUsage port: the same SQL as GET /v1/usage (`meter_used`), in
 * the request's transaction — counters of the subscription's current period, gauge levels, and
 * the member count for `max_users`.
 */
@Injectable()
export class CounterUsage extends MeteredUsage {
  constructor(
    private readonly usage: UsageRepository,
    private readonly context: RequestContext,
  ) {
    super();
  }

  current(subscription: Subscription | null, metrics: string[]): Promise<Map<string, number>> {
    // The port names no tenant: the subscription's (read in its tenant's transaction), else the request's.
    const tenantId = trustedTenantId(subscription?.tenantId ?? this.context.tenantId);
    const period = subscription ? { id: subscription.id, periodStart: subscription.currentPeriodStart } : null;
    return this.usage.used(tenantId, period, metrics);
  }
}
