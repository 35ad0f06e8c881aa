import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { Errors } from '../../common/errors/app-error.js';
import { newId } from '../../database/ids.js';
import { prepared, PreparedStatements } from '../../database/prepared.js';
import { BUILT_IN_METRICS, kindOf } from '../policies/metrics.js';
import { EntitlementDto, MetricUsageDto, RecordUsageDto, UsageRecordedDto, UsageSummaryDto } from './dto/usage.dto.js';
import { LimitWarnings } from './limit-warnings.js';
import { MeteringErrors } from './metering.errors.js';
import { crossedThresholds, isAllowed, OCCURRED_AT_SKEW_MS, planWrite, remainingOf, warningFor, writeFingerprint } from './usage-rules.js';

type Enforcement = 'hard' | 'soft';
type Kind = 'gauge' | 'counter';
/** Answers of the metering functions that refuse the whole request. */
type Refusal = 'revoked' | 'suspended' | 'no_subscription';

const RECORD = prepared('meter_record', 'select * from meter_record($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)');
const ENTITLEMENT = prepared('meter_entitlement', 'select * from meter_entitlement($1, $2, $3, $4, $5, $6, $7)');
const USAGE = prepared('meter_usage', 'select * from meter_usage($1, $2, $3, $4)');

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
 * The metering hot path. Each use case is one statement (a plpgsql function) on a named prepared
 * statement: it enters the tenant, re-checks the API key of the request, and does the work —
 * recording is one conditional UPDATE of the period's counter plus one event row, in the
 * statement's own transaction. Nothing here reads and then writes.
 */
@Injectable()
export class UsageService {
  constructor(
    private readonly sql: PreparedStatements,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly warnings: LimitWarnings,
  ) {}

  private caller() {
    const apiKey = this.context.apiKeyOrNull;
    return [this.context.tenantId, apiKey?.id ?? null, apiKey?.touch ?? false, this.clock.realNow()] as const;
  }

  private refuse(outcome: Refusal): never {
    if (outcome === 'revoked') throw MeteringErrors.keyRevoked();
    if (outcome === 'suspended') throw Errors.tenantSuspended();
    throw MeteringErrors.noSubscription();
  }

  async record(dto: RecordUsageDto, headerKey: string | undefined): Promise<RecordResult> {
    const write = planWrite(dto);
    if (Array.isArray(write)) throw MeteringErrors.invalid(write);
    if (headerKey !== undefined && (headerKey === '' || headerKey.length > 255)) {
      throw MeteringErrors.invalid([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 characters' }]);
    }
    if (headerKey !== undefined && dto.idempotencyKey !== undefined && headerKey !== dto.idempotencyKey) {
      throw MeteringErrors.invalid([{ field: 'idempotencyKey', message: 'differs from the Idempotency-Key header' }]);
    }
    const key = headerKey ?? dto.idempotencyKey ?? null;
    const now = this.clock.now();
    const occurredAt = dto.occurredAt ? new Date(dto.occurredAt) : now;
    if (occurredAt.getTime() > now.getTime() + OCCURRED_AT_SKEW_MS) {
      throw MeteringErrors.invalid([{ field: 'occurredAt', message: 'occurredAt is in the future' }]);
    }

    const [row] = await this.sql.rows<RecordRow>(RECORD, [
      ...this.caller(),
      write.metric,
      write.kind === 'gauge',
      write.builtIn,
      write.operation,
      write.amount,
      occurredAt,
      key,
      key === null ? null : writeFingerprint(write, dto.occurredAt),
      newId(),
    ]);
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
        throw MeteringErrors.limitExceeded(write.metric, limit!, used, requested, write.kind === 'counter' ? new Date(row.period_to!) : null);
      }
      case 'unknown_metric':
        throw MeteringErrors.unknownMetric(write.metric);
      default:
        this.refuse(row.outcome);
    }
    const warning = warningFor(write.metric, used, limit);
    const body: UsageRecordedDto = { metric: write.metric, used, limit, remaining: remainingOf(limit, used), ...(warning ? { warning } : {}) };
    if (row.outcome === 'replayed') return { body, replayed: true };

    for (const threshold of crossedThresholds(num(row.used_before)!, used, limit, row.warning_thresholds ?? [])) {
      this.warnings.raise({
        tenantId: this.context.tenantId,
        subscriptionId: row.subscription!,
        metric: write.metric,
        periodStart: iso(row.period_from!),
        threshold,
        used,
        limit: limit!,
      });
    }
    return { body, replayed: false };
  }

  async entitlement(metric: string, quantity = 1): Promise<EntitlementDto> {
    const [row] = await this.sql.rows<EntitlementRow>(ENTITLEMENT, [
      ...this.caller(),
      metric,
      kindOf(metric),
      Object.hasOwn(BUILT_IN_METRICS, metric),
    ]);
    if (row.outcome === 'unknown_metric') throw MeteringErrors.metricNotFound(metric);
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
    const rows = await this.sql.rows<UsageRow>(USAGE, [...this.caller()]);
    const first = rows[0];
    if (first.outcome !== 'ok') this.refuse(first.outcome);
    const metrics = rows.filter((r) => r.metric_key !== null).map((r): MetricUsageDto => {
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
