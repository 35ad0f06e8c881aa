/**
 * Pure metering rules: what a usage write means, what the answers say (remaining, warning,
 * allowed), which warning thresholds a write crossed, and the buckets of a history query.
 */
import { createHash } from 'node:crypto';
import type { FieldError } from '../../common/errors/app-error.js';
import { kindOf, type MetricKind } from '../policies/metrics.rules.js';

export type UsageOperation = 'increment' | 'set';
export const USAGE_OPERATIONS: readonly UsageOperation[] = ['increment', 'set'];

/** Metrics whose level the tenant sets itself; `max_users` follows membership instead. */
export const SETTABLE_GAUGES: readonly string[] = ['storage_mb'];
export const MEMBERSHIP_GAUGE = 'max_users';

export const MAX_QUANTITY = 1_000_000_000;
export const MAX_GAUGE_VALUE = 1_000_000_000_000;
/** Client clocks may run a little ahead; an event further in the future is refused. */
export const OCCURRED_AT_SKEW_MS = 5 * 60_000;

export interface UsageWrite {
  metric: string;
  operation?: UsageOperation;
  quantity?: number;
  value?: number;
}

export interface PlannedWrite {
  metric: string;
  kind: MetricKind;
  operation: UsageOperation;
  /** The increment, or the level to set. */
  amount: number;
}

/** Checks what the body asks for against the metric's kind; field errors when it makes no sense. */
export function planWrite(write: UsageWrite): PlannedWrite | FieldError[] {
  const operation = write.operation ?? 'increment';
  const kind = kindOf(write.metric);
  const errors: FieldError[] = [];
  if (write.metric === MEMBERSHIP_GAUGE) {
    errors.push({ field: 'metric', message: 'max_users follows the tenant membership: add or remove members instead' });
  } else if (operation === 'set') {
    if (!SETTABLE_GAUGES.includes(write.metric)) {
      errors.push({
        field: 'operation',
        message: `set applies to gauges (${SETTABLE_GAUGES.join(', ')}); ${write.metric} is a ${kind}`,
      });
    }
    if (write.value === undefined) errors.push({ field: 'value', message: 'value is required with operation set' });
    if (write.quantity !== undefined)
      errors.push({ field: 'quantity', message: 'quantity is not used with operation set (use value)' });
  } else if (write.value !== undefined) {
    errors.push({ field: 'value', message: 'value is only used with operation set (use quantity)' });
  }
  if (errors.length) return errors;
  return {
    metric: write.metric,
    kind,
    operation,
    amount: operation === 'set' ? write.value! : (write.quantity ?? 1),
  };
}

/**
 * What makes two writes "the same request" for an idempotency key: the metric, the operation,
 * the amount and an explicit occurredAt (a default timestamp differs on every retry).
 */
export function writeFingerprint(write: PlannedWrite, occurredAt: string | undefined): Buffer {
  return createHash('sha256')
    .update(`${write.metric}\n${write.operation}\n${write.amount}\n${occurredAt ?? ''}`)
    .digest();
}

export function remainingOf(limit: number | null, used: number): number | null {
  return limit === null ? null : Math.max(0, limit - used);
}

export interface UsageWarning {
  code: 'over_limit';
  message: string;
}

/** Answered with a write that left usage above the limit (a soft limit counts on). */
export function warningFor(metric: string, used: number, limit: number | null): UsageWarning | undefined {
  if (limit === null || used <= limit) return undefined;
  return { code: 'over_limit', message: `${metric} is over its limit of ${limit} (${used} used)` };
}

/** Whether `quantity` more would be accepted now: always under a soft limit or none. */
export function isAllowed(used: number, limit: number | null, enforcement: 'hard' | 'soft' | null, quantity = 1): boolean {
  return limit === null || enforcement !== 'hard' || used + quantity <= limit;
}

/**
 * The limit that refused a write, for the `limit_exceeded` answer. Only a hard limit refuses
 * (`meter_record` decides); a refusal naming no hard limit is a fault of the engine, answered as
 * a 500 — never as the tenant's limit ("The plan allows null …").
 */
export function refusingLimit(limit: number | null, enforcement: 'hard' | 'soft' | null): number {
  if (limit === null || enforcement !== 'hard') {
    throw new Error(`usage refused without a hard limit (limit ${limit}, enforcement ${enforcement})`);
  }
  return limit;
}

/**
 * Warning thresholds (percent of the limit) that a change from `before` to `after` crossed
 * upwards: `before` below the threshold, `after` at or above it. Exact in integers.
 */
export function crossedThresholds(before: number, after: number, limit: number | null, thresholds: readonly number[]): number[] {
  if (limit === null || limit <= 0 || after <= before) return [];
  const b = BigInt(before) * 100n;
  const a = BigInt(after) * 100n;
  const l = BigInt(limit);
  return [...new Set(thresholds)].filter((t) => b < BigInt(t) * l && BigInt(t) * l <= a).sort((x, y) => x - y);
}

export type Granularity = 'hour' | 'day';
export const GRANULARITIES: readonly Granularity[] = ['hour', 'day'];
export const MAX_BUCKETS = 1000;
const STEP_MS: Record<Granularity, number> = { hour: 3_600_000, day: 86_400_000 };

/** Start of the UTC hour or day holding `at`. */
export function bucketStart(at: Date, granularity: Granularity): Date {
  const step = STEP_MS[granularity];
  return new Date(Math.floor(at.getTime() / step) * step);
}

/** Bucket starts from the one holding `from` up to (not including) `to`; a field error when the range is bad. */
export function bucketsBetween(from: Date, to: Date, granularity: Granularity): Date[] | FieldError[] {
  if (to.getTime() <= from.getTime()) return [{ field: 'to', message: 'to must be after from' }];
  const first = bucketStart(from, granularity).getTime();
  const count = Math.ceil((to.getTime() - first) / STEP_MS[granularity]);
  if (count > MAX_BUCKETS) {
    return [{ field: 'to', message: `at most ${MAX_BUCKETS} ${granularity} buckets per query (asked for ${count})` }];
  }
  return Array.from({ length: count }, (_, i) => new Date(first + i * STEP_MS[granularity]));
}
