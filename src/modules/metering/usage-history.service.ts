import { Injectable } from '@nestjs/common';
import type { Caller, TenantCaller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { PlatformAccess } from '../audit/platform-access.service.js';
import { AdminUsageDto, AdminUsageQuery, UsageHistoryDto, UsageHistoryQuery } from './dto/usage.dto.js';
import { invalidUsage } from './metering.errors.js';
import { UsageRepository } from './usage.repository.js';
import { bucketsBetween, type Granularity } from './usage.rules.js';
import { kindOf } from '../policies/metrics.rules.js';

const DAY_MS = 86_400_000;
const ADMIN_DEFAULT_DAYS = 30;
const ADMIN_MAX_DAYS = 400;

/**
 * Usage over time, aggregated from the event log: a tenant's hour/day buckets (one index range of
 * `usage_events_history_idx`, read index-only), and platform-wide totals per metric for platform
 * admins through the audited platform path.
 */
@Injectable()
export class UsageHistoryService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly clock: Clock,
    private readonly platform: PlatformAccess,
  ) {}

  async history(caller: TenantCaller, query: UsageHistoryQuery): Promise<UsageHistoryDto> {
    const granularity: Granularity = query.granularity ?? 'day';
    if (kindOf(query.metric) === 'gauge') {
      throw invalidUsage([{ field: 'metric', message: `${query.metric} is a gauge (a level); history is kept for counters` }]);
    }
    const from = new Date(query.from);
    const to = new Date(query.to);
    const buckets = bucketsBetween(from, to, granularity);
    if (!(buckets[0] instanceof Date)) throw invalidUsage(buckets as { field: string; message: string }[]);
    const rows = await this.usage.buckets(caller.tenantId, query.metric, granularity, from, to);
    const byStart = new Map(rows.map((r) => [new Date(r.bucket).getTime(), r]));
    return {
      metric: query.metric,
      granularity,
      from: from.toISOString(),
      to: to.toISOString(),
      buckets: (buckets as Date[]).map((start) => {
        const row = byStart.get(start.getTime());
        return { start: start.toISOString(), quantity: Number(row?.quantity ?? 0), events: Number(row?.events ?? 0) };
      }),
    };
  }

  /** Totals per metric across tenants (platform admins; the access is audited). */
  async platformTotals(caller: Caller, query: AdminUsageQuery): Promise<AdminUsageDto> {
    const to = query.to ? new Date(query.to) : this.clock.now();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - ADMIN_DEFAULT_DAYS * DAY_MS);
    if (to.getTime() <= from.getTime()) throw invalidUsage([{ field: 'to', message: 'to must be after from' }]);
    if (to.getTime() - from.getTime() > ADMIN_MAX_DAYS * DAY_MS) {
      throw invalidUsage([{ field: 'from', message: `at most ${ADMIN_MAX_DAYS} days per query` }]);
    }
    const rows = await this.platform.run(caller, 'usage.read', query.tenantId ?? null, () =>
      this.usage.platformTotals({ from, to, metric: query.metric, tenantId: query.tenantId }),
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      metrics: rows.map((r) => ({
        metric: r.metric,
        quantity: Number(r.quantity),
        events: Number(r.events),
        tenants: Number(r.tenants),
      })),
    };
  }
}
