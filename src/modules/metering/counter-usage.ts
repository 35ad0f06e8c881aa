import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '../../common/context/request-context.js';
import { MeteredUsage } from '../subscriptions/metered-usage.port.js';
import type { Subscription } from '../subscriptions/subscription.entity.js';

/**
 * The subscriptions module's MeteredUsage port: the same SQL as GET /v1/usage (`meter_used`), in
 * the request's transaction — counters of the subscription's current period, gauge levels, and
 * the member count for `max_users`.
 */
@Injectable()
export class CounterUsage extends MeteredUsage {
  constructor(
    private readonly em: EntityManager,
    private readonly context: RequestContext,
  ) {
    super();
  }

  async current(subscription: Subscription | null, metrics: string[]): Promise<Map<string, number>> {
    const rows = await this.em.execute<{ metric: string; used: string }[]>(
      'select m.metric, meter_used(?, ?, ?, m.metric) as used from unnest(?::text[]) as m(metric)',
      [
        subscription?.tenantId ?? this.context.tenantId,
        subscription?.id ?? null,
        subscription?.currentPeriodStart ?? null,
        // Metric keys are [a-z0-9_] (METRIC_KEY); quoted, so that a metric named "null" stays a name.
        `{${metrics.map((m) => `"${m}"`).join(',')}}`,
      ],
    );
    return new Map(rows.map((r) => [r.metric, Number(r.used)]));
  }
}
