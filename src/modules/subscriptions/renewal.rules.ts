/**
 * What happens to a live subscription when its period (or trial) ends: pure rules, no I/O.
 * The renewal worker applies the decision under the subscription's row lock.
 */
import type { Interval } from '../plans/plan-terms.rules.js';
import { nextBoundaryAfter, periodBoundary } from './billing-period.rules.js';
import type { SubscriptionStatus } from './subscription-state.rules.js';

/** Statuses whose period end renews (or ends) the subscription; a past-due one waits for dunning. */
export const RENEWABLE_STATUSES = ['active', 'trialing'] as const satisfies readonly SubscriptionStatus[];

/**
 * Whether the subscription's period has ended and it renews now: the one "due" predicate (the
 * renewal scan's SQL is generated from RENEWABLE_STATUSES, subscription.repository.ts).
 */
export function renewalDue(state: { status: SubscriptionStatus; currentPeriodEnd: Date }, now: Date): boolean {
  return (
    (RENEWABLE_STATUSES as readonly SubscriptionStatus[]).includes(state.status) &&
    state.currentPeriodEnd.getTime() <= now.getTime()
  );
}

export interface RenewalTerms {
  id: string;
  interval: Interval;
  intervalCount: number;
  durationCycles: number | null;
}

export interface RenewalState {
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  billingAnchor: Date;
  currentPeriodEnd: Date;
  /** Full periods billed on the current plan version (a fixed term counts these, not the lifetime). */
  cyclesOnVersion: number;
}

export type RenewalDecision =
  /** Not due, or past due (dunning decides its fate). */
  | { kind: 'none' }
  /** Cancelled at period end: ends as `cancelled`, nothing billed. */
  | { kind: 'cancel'; endedAt: Date }
  /** A fixed term used up: ends as `expired`, nothing billed. */
  | { kind: 'expire'; endedAt: Date }
  /** Bill the next period on `version` (the pinned one, or the scheduled change). */
  | {
      kind: 'renew';
      version: RenewalTerms;
      periodStart: Date;
      periodEnd: Date;
      anchor: Date;
      fromTrial: boolean;
      /** The new period counted on `version`: a change of version starts its term again. */
      cyclesOnVersion: number;
    };

export function decideRenewal(
  state: RenewalState,
  current: RenewalTerms,
  scheduled: RenewalTerms | null,
  now: Date,
): RenewalDecision {
  const end = state.currentPeriodEnd;
  if (!renewalDue(state, now)) return { kind: 'none' };
  if (state.cancelAtPeriodEnd) return { kind: 'cancel', endedAt: end };
  const version = scheduled ?? current;
  // The term of the version the next period would be on: a scheduled change starts a new one.
  const onVersion = version.id === current.id ? state.cyclesOnVersion : 0;
  if (state.status === 'active' && version.durationCycles !== null && onVersion >= version.durationCycles) {
    return { kind: 'expire', endedAt: end };
  }
  const fromTrial = state.status === 'trialing';
  // A new interval (scheduled change or trial end) starts a fresh anchor at the period end.
  const reanchor = fromTrial || version.interval !== current.interval || version.intervalCount !== current.intervalCount;
  const anchor = reanchor ? end : state.billingAnchor;
  const periodEnd = reanchor
    ? periodBoundary(anchor, version.interval, version.intervalCount, 1)
    : nextBoundaryAfter(anchor, version.interval, version.intervalCount, end);
  return { kind: 'renew', version, periodStart: end, periodEnd, anchor, fromTrial, cyclesOnVersion: onVersion + 1 };
}
