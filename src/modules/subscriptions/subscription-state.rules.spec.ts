import {
  assertActionAllowed,
  InvalidTransitionError,
  isLive,
  LIVE_STATUSES,
  type SubscriptionAction,
  type SubscriptionEvent,
  type SubscriptionStatus,
  transition,
} from './subscription-state.rules.js';

const STATUSES: SubscriptionStatus[] = ['trialing', 'active', 'past_due', 'cancelled', 'expired', 'incomplete_expired'];
const EVENTS: SubscriptionEvent[] = [
  'trial_converted',
  'trial_payment_failed',
  'renewed',
  'renewal_payment_failed',
  'payment_recovered',
  'dunning_exhausted',
  'term_completed',
  'cancelled',
  'cancelled_at_period_end',
  'initial_payment_failed',
];

// The complete list of allowed moves; every other (status, event) pair must be refused.
const ALLOWED: [SubscriptionStatus, SubscriptionEvent, SubscriptionStatus][] = [
  ['trialing', 'trial_converted', 'active'],
  ['trialing', 'trial_payment_failed', 'past_due'],
  ['trialing', 'cancelled', 'cancelled'],
  ['trialing', 'cancelled_at_period_end', 'cancelled'],
  ['active', 'renewed', 'active'],
  ['active', 'renewal_payment_failed', 'past_due'],
  ['active', 'term_completed', 'expired'],
  ['active', 'initial_payment_failed', 'incomplete_expired'],
  ['active', 'cancelled', 'cancelled'],
  ['active', 'cancelled_at_period_end', 'cancelled'],
  ['past_due', 'payment_recovered', 'active'],
  ['past_due', 'dunning_exhausted', 'expired'],
  ['past_due', 'cancelled', 'cancelled'],
];

const table = STATUSES.flatMap((from) =>
  EVENTS.map((event) => [from, event, ALLOWED.find(([f, e]) => f === from && e === event)?.[2] ?? null] as const),
);

describe('transition', () => {
  it.each(table)('%s --%s--> %s', (from, event, to) => {
    if (to !== null) {
      expect(transition(from, event)).toBe(to);
      return;
    }
    let error: unknown;
    try {
      transition(from, event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ from, event, name: 'InvalidTransitionError' });
    expect((error as Error).message).toContain(from);
    expect((error as Error).message).toContain(event);
  });

  it('allows exactly the listed moves (60 pairs, 13 allowed)', () => {
    expect(table).toHaveLength(60);
    expect(table.filter(([, , to]) => to !== null)).toHaveLength(ALLOWED.length);
  });

  it('treats cancelled and expired as terminal', () => {
    for (const from of ['cancelled', 'expired'] as const) {
      for (const event of EVENTS) expect(() => transition(from, event)).toThrow(InvalidTransitionError);
    }
  });

  it('refuses unknown statuses and events without touching Object.prototype', () => {
    expect(() => transition('active', 'constructor' as SubscriptionEvent)).toThrow(InvalidTransitionError);
    expect(() => transition('toString' as SubscriptionStatus, 'renewed')).toThrow(InvalidTransitionError);
  });

  it('has a readable message', () => {
    expect(() => transition('expired', 'renewed')).toThrow('A subscription that is expired cannot take the "renewed" transition');
  });
});

describe('live statuses', () => {
  it('are trialing, active and past_due', () => {
    expect(LIVE_STATUSES).toEqual(['trialing', 'active', 'past_due']);
    expect(STATUSES.filter(isLive)).toEqual(['trialing', 'active', 'past_due']);
  });
});

describe('assertActionAllowed', () => {
  const ACTIONS: SubscriptionAction[] = ['change_plan', 'schedule_cancel', 'resume', 'cancel_now'];
  // [status, cancelAtPeriodEnd] → actions allowed.
  const expected: Record<string, SubscriptionAction[]> = {
    'trialing false': ['change_plan', 'schedule_cancel', 'cancel_now'],
    'trialing true': ['resume', 'cancel_now'],
    'active false': ['change_plan', 'schedule_cancel', 'cancel_now'],
    'active true': ['resume', 'cancel_now'],
    'past_due false': ['schedule_cancel', 'cancel_now'],
    'past_due true': ['resume', 'cancel_now'],
    'cancelled false': [],
    'cancelled true': [],
    'expired false': [],
    'expired true': [],
    'incomplete_expired false': [],
    'incomplete_expired true': [],
  };
  const cases = STATUSES.flatMap((status) =>
    [false, true].flatMap((cancelAtPeriodEnd) =>
      ACTIONS.map(
        (action) => [status, cancelAtPeriodEnd, action, expected[`${status} ${cancelAtPeriodEnd}`]!.includes(action)] as const,
      ),
    ),
  );

  it.each(cases)('%s (cancelAtPeriodEnd=%s) %s → allowed: %s', (status, cancelAtPeriodEnd, action, allowed) => {
    const run = (): void => assertActionAllowed(status, action, { cancelAtPeriodEnd });
    if (allowed) expect(run).not.toThrow();
    else {
      expect(run).toThrow(InvalidTransitionError);
      try {
        run();
      } catch (e) {
        expect(e).toMatchObject({ from: status, event: action });
        expect((e as Error).message.length).toBeGreaterThan(10);
      }
    }
  });

  it('explains why', () => {
    expect(() => assertActionAllowed('past_due', 'change_plan', { cancelAtPeriodEnd: false })).toThrow(/pay the open invoice/);
    expect(() => assertActionAllowed('active', 'resume', { cancelAtPeriodEnd: false })).toThrow(/no cancellation is scheduled/);
    expect(() => assertActionAllowed('expired', 'cancel_now', { cancelAtPeriodEnd: false })).toThrow(/expired/);
  });
});
