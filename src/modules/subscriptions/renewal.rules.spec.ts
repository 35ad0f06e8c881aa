import { decideRenewal, renewalDue, RenewalState, RenewalTerms } from './renewal.rules.js';
import { SUBSCRIPTION_STATUSES } from './subscription-state.rules.js';

const monthly: RenewalTerms = { id: 'v1', interval: 'month', intervalCount: 1, durationCycles: null };
const yearly: RenewalTerms = { id: 'v2', interval: 'year', intervalCount: 1, durationCycles: null };
const at = (iso: string) => new Date(iso);

const state = (over: Partial<RenewalState> = {}): RenewalState => ({
  status: 'active',
  cancelAtPeriodEnd: false,
  billingAnchor: at('2030-01-31T00:00:00Z'),
  currentPeriodEnd: at('2030-02-28T00:00:00Z'),
  cyclesOnVersion: 1,
  ...over,
});

describe('renewalDue', () => {
  it('is due from the period end on, for active and trialing subscriptions only', () => {
    const end = at('2030-02-28T00:00:00Z');
    const due = SUBSCRIPTION_STATUSES.filter((status) => renewalDue({ status, currentPeriodEnd: end }, end));
    expect(due).toEqual(['trialing', 'active']);
    expect(renewalDue({ status: 'active', currentPeriodEnd: end }, at('2030-02-27T23:59:59.999Z'))).toBe(false);
  });
});

describe('decideRenewal', () => {
  it('does nothing before the period ends, or while past due', () => {
    expect(decideRenewal(state(), monthly, null, at('2030-02-27T23:59:59Z'))).toEqual({ kind: 'none' });
    expect(decideRenewal(state({ status: 'past_due' }), monthly, null, at('2030-03-15T00:00:00Z'))).toEqual({ kind: 'none' });
    expect(decideRenewal(state({ status: 'cancelled' }), monthly, null, at('2030-03-15T00:00:00Z'))).toEqual({ kind: 'none' });
  });

  it('renews the next period from the anchor, returning to the anchor day after a short month', () => {
    const decision = decideRenewal(state(), monthly, null, at('2030-02-28T00:00:00Z'));
    expect(decision).toEqual({
      kind: 'renew',
      version: monthly,
      periodStart: at('2030-02-28T00:00:00Z'),
      periodEnd: at('2030-03-31T00:00:00Z'),
      anchor: at('2030-01-31T00:00:00Z'),
      fromTrial: false,
      cyclesOnVersion: 2,
    });
  });

  it('ends a subscription cancelled at period end, and a used-up fixed term', () => {
    expect(decideRenewal(state({ cancelAtPeriodEnd: true }), monthly, null, at('2030-03-01T00:00:00Z'))).toEqual({
      kind: 'cancel',
      endedAt: at('2030-02-28T00:00:00Z'),
    });
    const twoCycles = { ...monthly, durationCycles: 2 };
    expect(decideRenewal(state({ cyclesOnVersion: 1 }), twoCycles, null, at('2030-02-28T00:00:00Z')).kind).toBe('renew');
    expect(decideRenewal(state({ cyclesOnVersion: 2 }), twoCycles, null, at('2030-02-28T00:00:00Z'))).toEqual({
      kind: 'expire',
      endedAt: at('2030-02-28T00:00:00Z'),
    });
  });

  it('counts a fixed term on the version held: a scheduled move to a 2-cycle plan bills it twice', () => {
    const twoCycles = { ...monthly, id: 'v9', durationCycles: 2 };
    // Four periods billed on the old version; the scheduled change starts the new term at 1.
    const first = decideRenewal(state({ cyclesOnVersion: 4 }), monthly, twoCycles, at('2030-02-28T00:00:00Z'));
    expect(first).toMatchObject({ kind: 'renew', version: twoCycles, cyclesOnVersion: 1 });
    const second = decideRenewal(state({ cyclesOnVersion: 1 }), twoCycles, null, at('2030-02-28T00:00:00Z'));
    expect(second).toMatchObject({ kind: 'renew', cyclesOnVersion: 2 });
    expect(decideRenewal(state({ cyclesOnVersion: 2 }), twoCycles, null, at('2030-02-28T00:00:00Z')).kind).toBe('expire');
    // A used-up term that the tenant scheduled a move away from renews on the new plan.
    expect(decideRenewal(state({ cyclesOnVersion: 2 }), twoCycles, monthly, at('2030-02-28T00:00:00Z')).kind).toBe('renew');
  });

  it('converts a trial: the first paid period starts at the trial end, anchored there', () => {
    const trialEnd = at('2030-01-15T12:00:00Z');
    const decision = decideRenewal(
      state({ status: 'trialing', cyclesOnVersion: 0, billingAnchor: trialEnd, currentPeriodEnd: trialEnd }),
      monthly,
      null,
      trialEnd,
    );
    expect(decision).toMatchObject({
      kind: 'renew',
      fromTrial: true,
      periodStart: trialEnd,
      periodEnd: at('2030-02-15T12:00:00Z'),
      anchor: trialEnd,
    });
  });

  it('applies a scheduled change; a new interval re-anchors at the period end', () => {
    const decision = decideRenewal(state(), monthly, yearly, at('2030-02-28T00:00:00Z'));
    expect(decision).toMatchObject({
      kind: 'renew',
      version: yearly,
      anchor: at('2030-02-28T00:00:00Z'),
      periodEnd: at('2031-02-28T00:00:00Z'),
    });
    const cheaper = { ...monthly, id: 'v3' };
    expect(decideRenewal(state(), monthly, cheaper, at('2030-02-28T00:00:00Z'))).toMatchObject({
      version: cheaper,
      periodEnd: at('2030-03-31T00:00:00Z'),
    });
  });
});
