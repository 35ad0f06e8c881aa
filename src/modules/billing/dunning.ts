/**
 * Dunning (API.md, Subscription → Renewal): pure rules, no I/O. The schedule counts only its own
 * attempts — the first automatic charge and the retries 1, 3 and 7 days after it failed. A tenant's
 * "pay now" is an extra attempt: it never moves the schedule or ends it.
 */
import { addDays } from '../subscriptions/billing-period.js';

export const RETRY_DAYS = [1, 3, 7] as const;

export interface DunningState {
  /** When the first automatic attempt failed; null before. */
  dunningStartedAt: Date | null;
  /** Automatic attempts made (first charge and retries). */
  autoAttemptCount: number;
  nextAttemptAt: Date | null;
}

/** When the next retry is due after `autoAttempts` failed automatic attempts; null once the last one failed. */
export function nextRetryAt(firstFailureAt: Date, autoAttempts: number): Date | null {
  const days = RETRY_DAYS[autoAttempts - 1];
  return days === undefined ? null : addDays(firstFailureAt, days);
}

/** The schedule after a failed attempt; `exhausted` when it was the last automatic one (the invoice is uncollectible). */
export function afterFailedAttempt(state: DunningState, automatic: boolean, now: Date): DunningState & { exhausted: boolean } {
  if (!automatic) return { ...state, exhausted: false };
  const dunningStartedAt = state.dunningStartedAt ?? now;
  const autoAttemptCount = state.autoAttemptCount + 1;
  const nextAttemptAt = nextRetryAt(dunningStartedAt, autoAttemptCount);
  return { dunningStartedAt, autoAttemptCount, nextAttemptAt, exhausted: nextAttemptAt === null };
}

/** Whether an automatic attempt may run now (a duplicate or early job must not charge). */
export function automaticAttemptDue(state: DunningState, now: Date): boolean {
  if (state.autoAttemptCount === 0) return true;
  return state.nextAttemptAt !== null && state.nextAttemptAt.getTime() <= now.getTime();
}
