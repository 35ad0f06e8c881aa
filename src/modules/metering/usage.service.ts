import { Injectable } from '@nestjs/common';
import type { TenantCaller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Errors } from '../../common/errors/app-error.js';
import { newId } from '../../database/ids.js';
import { MetricUsageDto } from '../subscriptions/dto/subscription.dto.js';
import { EntitlementDto, RecordUsageDto, UsageRecordedDto, UsageSummaryDto } from './dto/usage.dto.js';
import { LimitWarnings } from './limit-warnings.js';
import { limitExceeded } from '../plans/plans.errors.js';
import { invalidUsage, MeteringErrorCode, MeteringErrors } from './metering.errors.js';
import type { Caller as FunctionCaller } from './sql/index.js';
import { type Refusal, UsageRepository } from './usage.repository.js';
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

const num = (value: string | null): number | null => (value === null ? null : Number(value));
const iso = (value: string): string => new Date(value).toISOString();

export interface RecordResult {
  body: UsageRecordedDto;
  /** The answer to an earlier report with the same idempotency key (nothing was counted now). */
  replayed: boolean;
}

/** The metering functions' caller: the tenant, and the API key they re-check (with whether to record its use). */
const meteringCaller = (caller: TenantCaller): FunctionCaller => ({
  tenantId: caller.tenantId,
  apiKeyId: caller.apiKey?.id ?? null,
  touch: caller.apiKey?.touch ?? false,
});

/**
 * The metering hot path. Each request is one item of one statement (a plpgsql function, on a
 * named prepared statement, see UsageRepository): it enters the tenant, re-checks the API key of
 * the request, and does the work. Nothing here reads and then writes.
 */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly clock: Clock,
    private readonly warnings: LimitWarnings,
  ) {}

  private refuse(outcome: Refusal): never {
    if (outcome === 'revoked') throw MeteringErrors.of(MeteringErrorCode.KeyRevoked);
    if (outcome === 'suspended') throw Errors.tenantSuspended();
    throw MeteringErrors.of(MeteringErrorCode.NoSubscription);
  }

  async record(caller: TenantCaller, dto: RecordUsageDto, headerKey: string | undefined): Promise<RecordResult> {
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

    const row = await this.usage.record({
      ...meteringCaller(caller),
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
        tenantId: caller.tenantId,
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

  async entitlement(caller: TenantCaller, metric: string, quantity = 1): Promise<EntitlementDto> {
    const row = await this.usage.entitlement({ ...meteringCaller(caller), metric });
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

  async summary(caller: TenantCaller): Promise<UsageSummaryDto> {
    const rows = await this.usage.summary(meteringCaller(caller));
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
