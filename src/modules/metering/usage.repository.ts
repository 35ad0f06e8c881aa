import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { prepared, PreparedStatements } from '../../database/prepared.js';
import { StatementBatcher } from '../../database/statement-batcher.js';
import type { Enforcement, MetricKind } from '../policies/metrics.rules.js';
import { type Caller, ENTITLEMENT_CALL, type EntitlementItem, RECORD_CALL, type RecordItem } from './sql/index.js';
import type { Granularity } from './usage.rules.js';

/** Answers of the metering functions that refuse the whole request. */
export type Refusal = 'revoked' | 'suspended' | 'no_subscription';

export type { EntitlementItem, RecordItem };

const placeholders = (count: number) => Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ');

/** Items in one statement: a jsonb array of items (sql/meter-record.ts declares their fields), then the time of the batch. */
export const RECORD_BATCH = prepared('meter_record_batch', 'select * from meter_record_batch($1::jsonb, $2)');
export const ENTITLEMENT_BATCH = prepared('meter_entitlement_batch', 'select * from meter_entitlement_batch($1::jsonb, $2)');
/** One item on its own (the bench's unbatched ceiling). */
export const RECORD_ONE = prepared('meter_record', `select * from meter_record(${placeholders(RECORD_CALL.parameters.length)})`);
export const ENTITLEMENT_ONE = prepared(
  'meter_entitlement',
  `select * from meter_entitlement(${placeholders(ENTITLEMENT_CALL.parameters.length)})`,
);
const USAGE = prepared('meter_usage', 'select * from meter_usage($1, $2, $3, $4)');

/** The values of a `meter_record_batch` call. */
export function recordBatchValues(items: RecordItem[], now: Date): unknown[] {
  return [RECORD_CALL.json(items), now];
}

export function entitlementBatchValues(items: EntitlementItem[], now: Date): unknown[] {
  return [ENTITLEMENT_CALL.json(items), now];
}

/** The values of a single `meter_record` call (RECORD_ONE). */
export const recordValues = (item: RecordItem, now: Date): unknown[] => RECORD_CALL.values(item, now);
export const entitlementValues = (item: EntitlementItem, now: Date): unknown[] => ENTITLEMENT_CALL.values(item, now);

export interface RecordRow {
  outcome: 'recorded' | 'replayed' | 'key_reused' | 'limit_exceeded' | 'unknown_metric' | Refusal;
  used_total: string | null;
  used_before: string | null;
  limit_value: string | null;
  enforcement_mode: Enforcement | null;
  subscription: string | null;
  period_from: string | null;
  period_to: string | null;
  warning_thresholds: number[] | null;
}

export interface EntitlementRow {
  outcome: 'ok' | 'unknown_metric' | Refusal;
  metric_kind: MetricKind;
  used_total: string;
  limit_value: string | null;
  enforcement_mode: Enforcement | null;
  period_to: string;
}

export interface UsageRow {
  outcome: 'ok' | Refusal;
  /** null on the one row of a period with no metric to show. */
  metric_key: string | null;
  metric_kind: MetricKind;
  used_total: string;
  limit_value: string | null;
  enforcement_mode: Enforcement | null;
  subscription: string;
  period_from: string;
  period_to: string;
}

/** Hour or day buckets of a counter's events (only the buckets with events). */
export interface BucketRow {
  bucket: string;
  quantity: string;
  events: string;
}

export interface PlatformTotalRow {
  metric: string;
  quantity: string;
  events: string;
  tenants: string;
}

/**
 * Metering's SQL: the metering functions on named prepared statements (each request is one item
 * of one statement; concurrent requests share a statement through StatementBatcher: one round trip
 * and one commit for a burst), and the reads of the event log. Nothing here reads and then writes.
 */
@Injectable()
export class UsageRepository {
  private readonly recorder: StatementBatcher<RecordItem, RecordRow>;
  private readonly entitlements: StatementBatcher<EntitlementItem, EntitlementRow>;

  constructor(
    private readonly sql: PreparedStatements,
    private readonly em: EntityManager,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    const options = { maxInFlight: config.METERING_BATCH_IN_FLIGHT, maxItems: config.METERING_BATCH_MAX };
    this.recorder = new StatementBatcher(
      (items) => this.sql.rows<RecordRow>(RECORD_BATCH, recordBatchValues(items, this.clock.realNow())),
      {
        ...options,
        // Counter and gauge rows are locked in this order by every batch.
        lockOrder: (item) => `${item.tenantId}:${item.metric}`,
      },
    );
    this.entitlements = new StatementBatcher(
      (items) => this.sql.rows<EntitlementRow>(ENTITLEMENT_BATCH, entitlementBatchValues(items, this.clock.realNow())),
      options,
    );
  }

  /** Records one write (`meter_record`): one conditional update of the period's counter plus one event row. */
  record(item: RecordItem): Promise<RecordRow> {
    return this.recorder.submit(item);
  }

  entitlement(item: EntitlementItem): Promise<EntitlementRow> {
    return this.entitlements.submit(item);
  }

  /** Every metric of the caller's live subscription in its current period (`meter_usage`); one row at least. */
  summary(caller: Caller): Promise<UsageRow[]> {
    return this.sql.rows<UsageRow>(USAGE, [caller.tenantId, caller.apiKeyId, caller.touch, this.clock.realNow()]);
  }

  /**
   * Use of `metrics` now (`meter_used`, the same SQL as GET /v1/usage), in the request's
   * transaction: counters of the subscription's current period, gauge levels, the member count.
   */
  async used(
    tenantId: TenantId,
    subscription: { id: string; periodStart: Date } | null,
    metrics: string[],
  ): Promise<Map<string, number>> {
    const rows = await this.em.execute<{ metric: string; used: string }[]>(
      'select m.metric, meter_used(?, ?, ?, m.metric) as used from unnest(?::text[]) as m(metric)',
      [
        tenantId,
        subscription?.id ?? null,
        subscription?.periodStart ?? null,
        // Metric keys are [a-z0-9_] (METRIC_KEY); quoted, so that a metric named "null" stays a name.
        `{${metrics.map((m) => `"${m}"`).join(',')}}`,
      ],
    );
    return new Map(rows.map((r) => [r.metric, Number(r.used)]));
  }

  /** A counter's events in buckets: one index range of `usage_events_history_idx`, read index-only. */
  buckets(tenantId: TenantId, metric: string, granularity: Granularity, from: Date, to: Date): Promise<BucketRow[]> {
    return this.em.execute<BucketRow[]>(
      `select date_trunc(?, e.occurred_at, 'UTC') as bucket, sum(e.quantity) as quantity, count(*) as events
         from usage_events e
        where e.tenant_id = ? and e.metric = ? and e.occurred_at >= ? and e.occurred_at < ?
        group by 1`,
      [granularity, tenantId, metric, from, to],
    );
  }

  /** Totals per metric across tenants (or of one tenant, or one metric): the platform path only. */
  platformTotals(range: { from: Date; to: Date; metric?: string; tenantId?: string }): Promise<PlatformTotalRow[]> {
    return this.em.execute<PlatformTotalRow[]>(
      `select e.metric, sum(e.quantity) as quantity, count(*) as events, count(distinct e.tenant_id) as tenants
         from usage_events e
        where e.occurred_at >= ? and e.occurred_at < ? and e.operation = 'increment'
          and (?::text is null or e.metric = ?) and (?::uuid is null or e.tenant_id = ?)
        group by e.metric order by e.metric`,
      [range.from, range.to, range.metric ?? null, range.metric ?? null, range.tenantId ?? null, range.tenantId ?? null],
    );
  }
}
