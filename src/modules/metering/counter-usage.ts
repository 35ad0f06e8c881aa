import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '../../common/context/request-context.js';
import { pgArray } from '../../database/sql.js';
import { kindOf } from '../policies/metrics.js';
import { MeteredUsage } from '../subscriptions/metered-usage.port.js';
import type { Subscription } from '../subscriptions/subscription.entity.js';

/** The subscriptions module's MeteredUsage port: the period's counters and the tenant's gauges. */
@Injectable()
export class CounterUsage extends MeteredUsage {
  constructor(
    private readonly em: EntityManager,
    private readonly context: RequestContext,
  ) {
    super();
  }

  async current(subscription: Subscription | null, metrics: string[]): Promise<Map<string, number>> {
    const tenantId = subscription?.tenantId ?? this.context.tenantId;
    const counters = subscription ? metrics.filter((m) => kindOf(m) === 'counter') : [];
    const gauges = metrics.filter((m) => kindOf(m) === 'gauge');
    const rows = await this.em.execute<{ metric: string; used: string }[]>(
      `select c.metric, c.used from usage_counters c
        where c.tenant_id = ? and c.subscription_id = ? and c.period_start = ? and c.metric = any(?::text[])
       union all
       select g.metric, g.value from usage_gauges g where g.tenant_id = ? and g.metric = any(?::text[])`,
      [
        tenantId,
        subscription?.id ?? null,
        subscription?.currentPeriodStart ?? null,
        pgArray(counters),
        tenantId,
        pgArray(gauges),
      ],
    );
    return new Map(rows.map((r) => [r.metric, Number(r.used)]));
  }
}
