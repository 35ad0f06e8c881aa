/**
 * Proration of an immediate plan change (API.md, Subscription → Proration). With
 * r = remaining seconds / period seconds, the change bills a credit −round(oldPrice × r) and
 * either a charge round(newPrice × r) (same interval) or the full new price for a new period
 * starting now (interval change). Every line records how it was computed, so a preview or an
 * invoice explains itself and can be reproduced to the minor unit.
 */
import { isCurrency, prorate } from '../../common/money.js';
import { periodSeconds, remainingSeconds } from './billing-period.rules.js';

export interface ProrationInput {
  oldPrice: bigint;
  newPrice: bigint;
  currency: string;
  oldPlan: string;
  newPlan: string;
  periodStart: Date;
  periodEnd: Date;
  at: Date;
  /** Set when the interval changes: the new period runs from `at` to here. */
  newPeriodEnd?: Date;
}

export interface Line {
  kind: 'proration_credit' | 'proration_charge' | 'subscription';
  description: string;
  amount: bigint;
  periodStart: Date;
  periodEnd: Date;
  calculation: {
    formula: string;
    remainingSeconds?: number;
    periodSeconds?: number;
    fraction?: string;
    exact?: string;
    rounding: 'half_away_from_zero';
  };
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "16 Jan 2030" (UTC). */
function formatDay(date: Date): string {
  return `${date.getUTCDate()} ${MONTH_NAMES[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** numerator / denominator as a decimal with 6 places, truncated toward zero (display only). */
function toDecimal(numerator: bigint, denominator: bigint): string {
  const negative = numerator < 0n;
  const scaled = ((negative ? -numerator : numerator) * 1_000_000n) / denominator;
  const text = `${scaled / 1_000_000n}.${(scaled % 1_000_000n).toString().padStart(6, '0')}`;
  return negative && scaled !== 0n ? `-${text}` : text;
}

/** A prorated line: sign × round(price × remaining / period). */
function proratedLine(
  kind: 'proration_credit' | 'proration_charge',
  description: string,
  price: bigint,
  remaining: number,
  period: number,
  at: Date,
  periodEnd: Date,
): Line {
  const sign = kind === 'proration_credit' ? -1n : 1n;
  const [r, p] = [BigInt(remaining), BigInt(period)];
  return {
    kind,
    description: `${description} (${formatDay(at)} – ${formatDay(periodEnd)})`,
    amount: sign * prorate(price, r, p),
    periodStart: at,
    periodEnd,
    calculation: {
      formula: `${sign < 0n ? '-' : ''}round(${price} × ${remaining} / ${period})`,
      remainingSeconds: remaining,
      periodSeconds: period,
      fraction: `${remaining}/${period}`,
      exact: toDecimal(sign * price * r, p),
      rounding: 'half_away_from_zero',
    },
  };
}

/** The full price of a plan for one period (first period, renewal, or a new interval). */
export function periodLine(plan: string, price: bigint, start: Date, end: Date): Line {
  return {
    kind: 'subscription',
    description: `${plan} (${formatDay(start)} – ${formatDay(end)})`,
    amount: price,
    periodStart: start,
    periodEnd: end,
    calculation: { formula: `${price}`, rounding: 'half_away_from_zero' },
  };
}

export function prorateChange(input: ProrationInput): { lines: Line[]; total: bigint } {
  const { oldPrice, newPrice, currency, periodStart, periodEnd, at, newPeriodEnd } = input;
  if (!isCurrency(currency)) throw new RangeError(`unknown currency ${currency}`);
  if (oldPrice < 0n || newPrice < 0n) throw new RangeError('prices must not be negative');
  if (at.getTime() < periodStart.getTime()) throw new RangeError('the change happens before the period starts');
  const period = periodSeconds(periodStart, periodEnd);
  if (period <= 0) throw new RangeError('the period must last at least one second');
  const remaining = remainingSeconds(at, periodEnd);

  // The credit line is emitted even when it is zero, so a preview always shows both sides.
  const lines = [proratedLine('proration_credit', `Unused time on ${input.oldPlan}`, oldPrice, remaining, period, at, periodEnd)];
  if (newPeriodEnd === undefined) {
    lines.push(
      proratedLine('proration_charge', `Remaining time on ${input.newPlan}`, newPrice, remaining, period, at, periodEnd),
    );
  } else {
    if (newPeriodEnd.getTime() <= at.getTime()) throw new RangeError('the new period must end after the change');
    lines.push(periodLine(input.newPlan, newPrice, at, newPeriodEnd));
  }
  return { lines, total: lines.reduce((sum, line) => sum + line.amount, 0n) };
}

/**
 * The value of a paid period's unused time when it ends at `at` (a cancel now with `prorate`):
 * a credit line −round(price × remaining / period), computed like a change's credit.
 */
export function unusedTimeCredit(plan: string, price: bigint, periodStart: Date, periodEnd: Date, at: Date): Line {
  if (price < 0n) throw new RangeError('prices must not be negative');
  if (at.getTime() < periodStart.getTime()) throw new RangeError('the period has not started');
  const period = periodSeconds(periodStart, periodEnd);
  if (period <= 0) throw new RangeError('the period must last at least one second');
  return proratedLine(
    'proration_credit',
    `Unused time on ${plan}`,
    price,
    remainingSeconds(at, periodEnd),
    period,
    at,
    periodEnd,
  );
}
