import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { Errors } from '../../common/errors/app-error.js';
import { newId } from '../../database/ids.js';
import { prepared, PreparedStatements } from '../../database/prepared.js';
import { StatementBatcher } from '../../database/statement-batcher.js';
import { EntitlementDto, MetricUsageDto, RecordUsageDto, UsageRecordedDto, UsageSummaryDto } from './dto/usage.dto.js';
import { LimitWarnings } from './limit-warnings.js';
import { limitExceeded } from '../plans/plans.errors.js';
import { invalidUsage, MeteringErrorCode, MeteringErrors } from './metering.errors.js';
import { type Caller, ENTITLEMENT_CALL, type EntitlementItem, RECORD_CALL, type RecordItem } from './sql/index.js';
import {
  crossedThresholds,
  isAllowed,
  OCCURRED_AT_SKEW_MS,
  planWrite,
  refusingLimit,
  remainingOf,
  warningFor,
  writeFingerprint,
} from './usage.rules.js';

type Enforcement = 'hard' | 'soft';
type Kind = 'gauge' | 'counter';
/** Answers of the metering functions that refuse the whole request. */
type Refusal = 'revoked' | 'suspended' | 'no_subscription';

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

interface RecordRow {
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

interface EntitlementRow {
  outcome: 'ok' | 'unknown_metric' | Refusal;
  metric_kind: Kind;
  used_total: string;
  limit_value: string | null;
  enforcement_mode: Enforcement | null;
  period_to: string;
}

interface UsageRow {
  outcome: 'ok' | Refusal;
  /** null on the one row of a period with no metric to show. */
  metric_key: string | null;
  metric_kind: Kind;
  used_total: string;
  limit_value: string | null;
  enforcement_mode: Enforcement | null;
  subscription: string;
  period_from: string;
  period_to: string;
}

const num = (value: string | null): number | null => (value === null ? null : Number(value));
const iso = (value: string): string => new Date(value).toISOString();

export interface RecordResult {
  body: UsageRecordedDto;
  /** The answer to an earlier report with the same idempotency key (nothing was counted now). */
  replayed: boolean;
}

/**
 * The metering hot path. Each request is one item of one statement (a plpgsql function, on a
 * named prepared statement): it enters the tenant, re-checks the API key of the request, and does
 * the work — recording is one conditional UPDATE of the period's counter plus one event row.
 * Concurrent requests share a statement (StatementBatcher): one round trip and one commit for a
 * burst. Nothing here reads and then writes.
 */
@Injectable()
export class UsageService {
  private readonly recorder: StatementBatcher<RecordItem, RecordRow>;
  private readonly entitlements: StatementBatcher<EntitlementItem, EntitlementRow>;

  constructor(
    private readonly sql: PreparedStatements,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly warnings: LimitWarnings,
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

  private caller(): Caller {
    const apiKey = this.context.apiKeyOrNull;
    return { tenantId: this.context.tenantId, apiKeyId: apiKey?.id ?? null, touch: apiKey?.touch ?? false };
  }

  private refuse(outcome: Refusal): never {
    if (outcome === 'revoked') throw MeteringErrors.of(MeteringErrorCode.KeyRevoked);
    if (outcome === 'suspended') throw Errors.tenantSuspended();
    throw MeteringErrors.of(MeteringErrorCode.NoSubscription);
  }

  async record(dto: RecordUsageDto, headerKey: string | undefined): Promise<RecordResult> {
    const write = planWrite(dto);
    if (Array.isArray(write)) throw invalidUsage(write);
    if (headerKey !== undefined && (headerKey === '' || headerKey.length > 255)) {
      throw invalidUsage([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 characters' }]);
    }
    if (headerKey !== undefined && dto.idempotencyKey !== undefined && headerKey !== dto.idempotencyKey) {
      throw invalidUsage([{ field: 'idempotencyKey', message: 'differs from the Idempotency-Key header' }]);
    }
    const key = headerKey ?? dto.idempotencyKey ?? null;
    const now = this.clock.now();
    const occurredAt = dto.occurredAt ? new Date(dto.occurredAt) : now;
    if (occurredAt.getTime() > now.getTime() + OCCURRED_AT_SKEW_MS) {
      throw invalidUsage([{ field: 'occurredAt', message: 'occurredAt is in the future' }]);
    }

    const row = await this.recorder.submit({
      ...this.caller(),
      metric: write.metric,
      operation: write.operation,
      amount: write.amount,
      occurredAt,
      idempotencyKey: key,
      requestHash: key === null ? null : writeFingerprint(write, dto.occurredAt),
      eventId: newId(),
    });
    const used = num(row.used_total)!;
    const limit = num(row.limit_value);
    switch (row.outcome) {
      case 'recorded':
      case 'replayed':
        break;
      case 'key_reused':
        throw Errors.idempotencyKeyReused();
      case 'limit_exceeded': {
        const requested = write.operation === 'set' ? write.amount - used : write.amount;
        throw limitExceeded({
          metric: write.metric,
          limit: refusingLimit(limit, row.enforcement_mode),
          used,
          requested,
          resetsAt: write.kind === 'counter' ? new Date(row.period_to!) : null,
        });
      }
      case 'unknown_metric':
        throw MeteringErrors.of(MeteringErrorCode.UnknownMetric, {
          detail: `${write.metric} is not metered: the plan does not limit it and no policy defines it`,
          errors: [{ field: 'metric', message: `${write.metric} is neither limited by the plan nor a known metric` }],
        });
      default:
        this.refuse(row.outcome);
    }
    const warning = warningFor(write.metric, used, limit);
    const body: UsageRecordedDto = {
      metric: write.metric,
      used,
      limit,
      remaining: remainingOf(limit, used),
      ...(warning ? { warning } : {}),
    };
    if (row.outcome === 'replayed') return { body, replayed: true };

    await this.warnings.raise(
      crossedThresholds(num(row.used_before)!, used, limit, row.warning_thresholds ?? []).map((threshold) => ({
        tenantId: this.context.tenantId,
        subscriptionId: row.subscription!,
        metric: write.metric,
        periodStart: iso(row.period_from!),
        threshold,
        used,
        limit: limit!,
      })),
    );
    return { body, replayed: false };
  }

  async entitlement(metric: string, quantity = 1): Promise<EntitlementDto> {
    const row = await this.entitlements.submit({ ...this.caller(), metric });
    if (row.outcome === 'unknown_metric')
      throw MeteringErrors.of(MeteringErrorCode.MetricNotFound, { detail: `Metric ${metric} not found` });
    if (row.outcome !== 'ok') this.refuse(row.outcome);
    const used = Number(row.used_total);
    const limit = num(row.limit_value);
    return {
      metric,
      kind: row.metric_kind,
      allowed: isAllowed(used, limit, row.enforcement_mode, quantity),
      used,
      limit,
      remaining: remainingOf(limit, used),
      enforcement: row.enforcement_mode,
      resetsAt: row.metric_kind === 'counter' ? iso(row.period_to) : null,
    };
  }

  async summary(): Promise<UsageSummaryDto> {
    const caller = this.caller();
    const rows = await this.sql.rows<UsageRow>(USAGE, [caller.tenantId, caller.apiKeyId, caller.touch, this.clock.realNow()]);
    const first = rows[0];
    if (first.outcome !== 'ok') this.refuse(first.outcome);
    const metrics = rows
      .filter((r) => r.metric_key !== null)
      .map((r): MetricUsageDto => {
        const used = Number(r.used_total);
        const limit = num(r.limit_value);
        return {
          metric: r.metric_key!,
          kind: r.metric_kind,
          used,
          limit,
          remaining: remainingOf(limit, used),
          enforcement: r.enforcement_mode,
          resetsAt: r.metric_kind === 'counter' ? iso(r.period_to) : null,
        };
      });
    return { subscriptionId: first.subscription, periodStart: iso(first.period_from), periodEnd: iso(first.period_to), metrics };
  }
}
