/**
 * Subscription lifecycle (API.md, Subscription). `cancelled` = ended by a person, `expired` =
 * ended by the system (dunning exhausted or durationCycles used up), `incomplete_expired` = its
 * first charge failed, so it never started (Stripe's model: not churn); all three are terminal.
 */
export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'cancelled', 'expired', 'incomplete_expired'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const LIVE_STATUSES: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due'];

export type SubscriptionEvent =
  | 'trial_converted'
  | 'trial_payment_failed'
  | 'renewed'
  | 'renewal_payment_failed'
  | 'payment_recovered'
  | 'dunning_exhausted'
  | 'term_completed'
  | 'cancelled'
  | 'cancelled_at_period_end'
  | 'initial_payment_failed';

export type SubscriptionAction = 'change_plan' | 'schedule_cancel' | 'resume' | 'cancel_now';

/** Thrown for any move the lifecycle does not allow; the API maps it to 409 invalid_transition. */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly from: SubscriptionStatus,
    readonly event: SubscriptionEvent | SubscriptionAction,
    reason?: string,
  ) {
    super(reason ?? `A subscription that is ${from} cannot take the "${event}" transition`);
  }
}

// Every allowed move; anything absent is refused. A failed first charge ends the new
// subscription at once (`initial_payment_failed`: active → incomplete_expired), so nothing stays live.
const TRANSITIONS: Record<SubscriptionStatus, Partial<Record<SubscriptionEvent, SubscriptionStatus>>> = {
  trialing: {
    trial_converted: 'active',
    trial_payment_failed: 'past_due',
    cancelled: 'cancelled',
    cancelled_at_period_end: 'cancelled',
  },
  active: {
    renewed: 'active',
    renewal_payment_failed: 'past_due',
    initial_payment_failed: 'incomplete_expired',
    term_completed: 'expired',
    cancelled: 'cancelled',
    cancelled_at_period_end: 'cancelled',
  },
  past_due: { payment_recovered: 'active', dunning_exhausted: 'expired', cancelled: 'cancelled' },
  cancelled: {},
  expired: {},
  incomplete_expired: {},
};

export function isLive(status: SubscriptionStatus): boolean {
  return LIVE_STATUSES.includes(status);
}

export function transition(from: SubscriptionStatus, event: SubscriptionEvent): SubscriptionStatus {
  // hasOwn so that untrusted strings such as "constructor" never hit Object.prototype.
  const moves = Object.hasOwn(TRANSITIONS, from) ? TRANSITIONS[from] : {};
  const to = Object.hasOwn(moves, event) ? moves[event] : undefined;
  if (to === undefined) throw new InvalidTransitionError(from, event);
  return to;
}

/** Guards the person-initiated actions before any work is done. */
export function assertActionAllowed(
  status: SubscriptionStatus,
  action: SubscriptionAction,
  flags: { cancelAtPeriodEnd: boolean },
): void {
  const refuse = (why: string): never => {
    throw new InvalidTransitionError(status, action, `Cannot ${action.replace('_', ' ')}: ${why}`);
  };
  if (!isLive(status)) refuse(`the subscription is ${status}`);
  switch (action) {
    case 'change_plan':
      if (status === 'past_due') refuse('the subscription is past_due; pay the open invoice first');
      if (flags.cancelAtPeriodEnd) refuse('the subscription is scheduled to cancel; resume it first');
      return;
    case 'schedule_cancel':
      if (flags.cancelAtPeriodEnd) refuse('the subscription is already scheduled to cancel at period end');
      return;
    case 'resume':
      if (!flags.cancelAtPeriodEnd) refuse('no cancellation is scheduled');
      return;
    case 'cancel_now':
      return;
  }
}
