/**
 * One free trial per tenant: pure rules, no I/O.
 *
 * A tenant that has had a trial (on any plan, whatever became of it) subscribes to a plan with
 * trial days as to any paid plan: the first period starts now and is charged at once. Otherwise
 * cancelling and subscribing again would hand out a fresh trial every time.
 */
export interface TrialTerms {
  trialDays: number;
}

/** The trial days a new subscription gets: the plan's, unless the tenant has used its trial. */
export function trialDaysFor(version: TrialTerms, trialAlreadyUsed: boolean): number {
  if (trialAlreadyUsed) return 0;
  return Math.max(0, version.trialDays);
}
