/**
 * Dunning (API.md, Subscription → Renewal): pure rules, no I/O. The schedule counts only its own
 * attempts — the first automatic charge and the retries 1, 3 and 7 days after it failed (on time,
 * each is 1, 2 and 4 days after the one before). A tenant's "pay now" is an extra attempt: it never
 * moves the schedule or ends it.
 */
import { addDays } from '../subscriptions/billing-period.rules.js';

export const RETRY_DAYS = [1, 3, 7] as const;

export interface DunningState {
  /** When the first automatic attempt failed; null before. */
  dunningStartedAt: Date | null;
  /** Automatic attempts made (first charge and retries). */
  autoAttemptCount: number;
  nextAttemptAt: Date | null;
}

/**
 * When the next retry is due after `autoAttempts` failed automatic attempts, the last made at
 * `lastAttemptAt`: the gap between this retry's day and the previous one's (1, then 2, then 4 days),
 * counted from when the previous attempt actually ran — so a late catch-up (a worker down for a
 * week, a clock jump) keeps the spacing instead of firing every remaining retry at once. Null
 * once the last retry has failed.
 */
export function nextRetryAt(lastAttemptAt: Date, autoAttempts: number): Date | null {
  const days = RETRY_DAYS[autoAttempts - 1];
  if (days === undefined) return null;
  const previous = autoAttempts >= 2 ? RETRY_DAYS[autoAttempts - 2] : 0;
  return addDays(lastAttemptAt, days - previous);
}

/** The schedule after a failed attempt; `exhausted` when it was the last automatic one (the invoice is uncollectible). */
export function afterFailedAttempt(state: DunningState, automatic: boolean, now: Date): DunningState & { exhausted: boolean } {
  if (!automatic) return { ...state, exhausted: false };
  const autoAttemptCount = state.autoAttemptCount + 1;
  const nextAttemptAt = nextRetryAt(now, autoAttemptCount);
  return { dunningStartedAt: state.dunningStartedAt ?? now, autoAttemptCount, nextAttemptAt, exhausted: nextAttemptAt === null };
}

/** Whether an automatic attempt may run now (a duplicate or early job must not charge). */
export function automaticAttemptDue(state: DunningState, now: Date): boolean {
  if (state.autoAttemptCount === 0) return true;
  return state.nextAttemptAt !== null && state.nextAttemptAt.getTime() <= now.getTime();
}
