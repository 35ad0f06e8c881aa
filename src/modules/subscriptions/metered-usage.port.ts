import type { Subscription } from './subscription.entity.js';

/**
 * What the subscription views need from metering: current use of the metered metrics. Metering
 * builds on subscriptions (DESIGN.md: dependencies point one way), so subscriptions declares this
 * port and the metering module provides it.
 */
export abstract class MeteredUsage {
  /**
   * Use of each metric (except `max_users`, which is the member count): counters of the
   * subscription's current period, and gauge levels of the tenant. With no subscription only the
   * gauges have a value. Metrics without use are absent from the map.
   */
  abstract current(subscription: Subscription | null, metrics: string[]): Promise<Map<string, number>>;
}
