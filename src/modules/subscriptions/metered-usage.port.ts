import type { Subscription } from './subscription.entity.js';

/**
 * What the subscription views need from metering: current use of the metered metrics. Metering
 * builds on subscriptions (DESIGN.md: dependencies point one way), so subscriptions declares this
 * port and the metering module provides it.
 */
export abstract class MeteredUsage {
  /**
   * Use of each metric, from the SQL behind `GET /v1/usage` (`meter_used`): counters of the
   * subscription's current period, gauge levels of the tenant, `max_users` as the member count.
   * With no subscription counters are 0. Every metric asked for is in the map (0 when unused).
   */
  abstract current(subscription: Subscription | null, metrics: string[]): Promise<Map<string, number>>;
}
