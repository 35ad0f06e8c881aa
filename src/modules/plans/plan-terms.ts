import type { MetricKind } from '../policies/metrics.js';
import type { Enforcement } from '../policies/policy.entity.js';
import type { Interval } from '../subscriptions/billing-period.rules.js';

/** A policy as a plan version carries it (a snapshot: later policy edits do not change sold versions). */
export interface PlanLimit {
  policyId: string;
  metric: string;
  kind: MetricKind;
  limit: number | null;
  enforcement: Enforcement;
  warningThresholds: number[];
}

/** The fields of a plan that make up a version; changing any of them publishes a new one. */
export interface PlanTerms {
  priceAmount: bigint;
  currency: string;
  interval: Interval;
  intervalCount: number;
  trialDays: number;
  durationCycles: number | null;
  limits: PlanLimit[];
}

/** A value with every object's keys sorted, so equal data stringifies equally. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
        )
      : value;

/**
 * A canonical form of the terms. Keys are sorted because a version's limits come back from a jsonb
 * column, which does not keep the key order they were written in.
 */
const normalize = (terms: PlanTerms) =>
  JSON.stringify(
    canonical({
      ...terms,
      priceAmount: terms.priceAmount.toString(),
      limits: [...terms.limits].sort((a, b) => (a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0)),
    }),
  );

export function termsChanged(a: PlanTerms, b: PlanTerms): boolean {
  return normalize(a) !== normalize(b);
}
