/**
 * Pure rules about plan limits: the usage view of a metric, which gauges a plan change would
 * break, and whether a change is an upgrade.
 */
import type { Interval, PlanLimit } from '../plans/plan-terms.rules.js';
import { nominalSeconds } from './billing-period.rules.js';

export interface UsageView {
  metric: string;
  kind: 'gauge' | 'counter';
  used: number;
  limit: number | null;
  remaining: number | null;
  enforcement: 'hard' | 'soft';
  resetsAt: Date | null;
}

export function usageView(limit: PlanLimit, used: number, periodEnd: Date): UsageView {
  return {
    metric: limit.metric,
    kind: limit.kind,
    used,
    limit: limit.limit,
    remaining: limit.limit === null ? null : Math.max(0, limit.limit - used),
    enforcement: limit.enforcement,
    resetsAt: limit.kind === 'counter' ? periodEnd : null,
  };
}

export interface GaugeViolation {
  metric: string;
  limit: number;
  used: number;
}

/** Hard gauge limits of `limits` that current use already exceeds (a plan change would be blocked). */
export function gaugeViolations(limits: PlanLimit[], used: ReadonlyMap<string, number>): GaugeViolation[] {
  return limits
    .filter((l) => l.kind === 'gauge' && l.enforcement === 'hard' && l.limit !== null && (used.get(l.metric) ?? 0) > l.limit)
    .map((l) => ({ metric: l.metric, limit: l.limit!, used: used.get(l.metric) ?? 0 }));
}

export interface PriceTerms {
  priceAmount: bigint;
  interval: Interval;
  intervalCount: number;
}

/**
 * A change is an upgrade when the new plan costs more per unit of time (prices of different
 * intervals compared over their nominal lengths, in integer math). Equal cost counts as an upgrade.
 */
export function isUpgrade(from: PriceTerms, to: PriceTerms): boolean {
  const fromSeconds = BigInt(nominalSeconds(from.interval, from.intervalCount));
  const toSeconds = BigInt(nominalSeconds(to.interval, to.intervalCount));
  return to.priceAmount * fromSeconds >= from.priceAmount * toSeconds;
}

export function sameInterval(a: PriceTerms, b: PriceTerms): boolean {
  return a.interval === b.interval && a.intervalCount === b.intervalCount;
}
