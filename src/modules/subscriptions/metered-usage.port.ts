import type { TenantId } from '../../common/auth/caller.js';

/** The period whose counters count: a subscription's current one. */
export interface MeteredPeriod {
  subscriptionId: string;
  periodStart: Date;
}

/**
 * What the subscription views need from metering: current use of the metered metrics. Metering
 * builds on subscriptions (DESIGN.md: dependencies point one way), so subscriptions declares this
 * port and the metering module provides it.
 */
export abstract class MeteredUsage {
  /**
   * Use of each metric in the tenant, from the SQL behind `GET /v1/usage` (`meter_used`): counters
   * of the period, gauge levels of the tenant, `max_users` as the member count. Without a period
   * counters are 0. Every metric asked for is in the map (0 when unused).
   */
  abstract current(tenantId: TenantId, period: MeteredPeriod | null, metrics: string[]): Promise<Map<string, number>>;
}
