/**
 * Billing-period calendar arithmetic, all in UTC. A subscription's periods are the boundaries
 * anchor, boundary(1), boundary(2)… where boundary(k) is always derived from the anchor itself,
 * so a month-end anchor keeps coming back to month end (Jan 31 → Feb 28 → Mar 31 → Apr 30).
 */
import type { Interval } from '../plans/plan-terms.rules.js';

const DAY_MS = 86_400_000;
const DAYS: Partial<Record<Interval, number>> = { day: 1, week: 7 };
const MONTHS: Partial<Record<Interval, number>> = { month: 1, year: 12 };

function assertCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`interval count must be a positive integer, got ${count}`);
}

function checked(ms: number): Date {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new RangeError('billing period boundary is outside the Date range');
  return date;
}

/** `months` calendar months after `anchor`, same time of day, day clamped to the month's last day. */
function addMonthsClamped(anchor: Date, months: number): Date {
  const total = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  // Day 0 of the following month is the last day of this one. setUTCFullYear (unlike Date.UTC)
  // does not remap years 0–99 to 1900–1999.
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month + 1, 0);
  const result = new Date(anchor.getTime());
  result.setUTCFullYear(year, month, Math.min(anchor.getUTCDate(), lastDay.getUTCDate()));
  return checked(result.getTime());
}

/** The k-th boundary after the anchor (k = 0 is the anchor itself). */
export function periodBoundary(anchor: Date, interval: Interval, count: number, k: number): Date {
  assertCount(count);
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`boundary index must be a non-negative integer, got ${k}`);
  const days = DAYS[interval];
  if (days !== undefined) return checked(anchor.getTime() + k * count * days * DAY_MS);
  return addMonthsClamped(anchor, k * count * MONTHS[interval]!);
}

/** The smallest boundary strictly after `after` (the anchor when `after` precedes it). */
export function nextBoundaryAfter(anchor: Date, interval: Interval, count: number, after: Date): Date {
  assertCount(count);
  if (after.getTime() < anchor.getTime()) return periodBoundary(anchor, interval, count, 0);
  const days = DAYS[interval];
  if (days !== undefined) {
    const step = count * days * DAY_MS;
    return periodBoundary(anchor, interval, count, Math.floor((after.getTime() - anchor.getTime()) / step) + 1);
  }
  // Boundary k falls in calendar month anchorMonth + k·step. With k = ⌊elapsed months / step⌋,
  // boundary k is in `after`'s month or earlier, boundary k+1 in a later month (> after), so the
  // answer is k (when clamping or the time of day puts it later in that same month) or k+1.
  const step = count * MONTHS[interval]!;
  const elapsed = (after.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (after.getUTCMonth() - anchor.getUTCMonth());
  let k = Math.max(0, Math.floor(elapsed / step));
  while (periodBoundary(anchor, interval, count, k).getTime() <= after.getTime()) k++;
  return periodBoundary(anchor, interval, count, k);
}

export function addDays(date: Date, days: number): Date {
  return checked(date.getTime() + days * DAY_MS);
}

/** Nominal length of an interval, only for comparing prices across intervals (Gregorian averages). */
export function nominalSeconds(interval: Interval, count: number): number {
  assertCount(count);
  const seconds: Record<Interval, number> = { day: 86_400, week: 604_800, month: 2_629_746, year: 31_556_952 };
  return seconds[interval] * count;
}

/** Whole seconds from start to end. */
export function periodSeconds(start: Date, end: Date): number {
  if (end.getTime() < start.getTime()) throw new RangeError('period ends before it starts');
  return Math.floor((end.getTime() - start.getTime()) / 1000);
}

/** Whole seconds left from `at` until `end`; 0 once the end has passed. */
export function remainingSeconds(at: Date, end: Date): number {
  return Math.max(0, Math.floor((end.getTime() - at.getTime()) / 1000));
}
