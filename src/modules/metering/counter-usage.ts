import { Injectable } from '@nestjs/common';
import type { TenantId } from '../../common/auth/caller.js';
import { MeteredPeriod, MeteredUsage } from '../subscriptions/metered-usage.port.js';
import { UsageRepository } from './usage.repository.js';

/**
 * The subscriptions module's MeteredUsage port: the same SQL as GET /v1/usage (`meter_used`), in
 * the request's transaction — counters of the subscription's current period, gauge levels, and
 * the member count for `max_users`.
 */
@Injectable()
export class CounterUsage extends MeteredUsage {
  constructor(private readonly usage: UsageRepository) {
    super();
  }

  current(tenantId: TenantId, period: MeteredPeriod | null, metrics: string[]): Promise<Map<string, number>> {
    return this.usage.used(tenantId, period && { id: period.subscriptionId, periodStart: period.periodStart }, metrics);
  }
}
