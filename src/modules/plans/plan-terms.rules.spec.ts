import { PlanTerms, termsChanged } from './plan-terms.rules.js';

const limit = (policyId: string, value: number | null) => ({
  policyId,
  metric: `m_${policyId}`,
  kind: 'counter' as const,
  limit: value,
  enforcement: 'hard' as const,
  warningThresholds: [80, 100],
});

const terms = (overrides: Partial<PlanTerms> = {}): PlanTerms => ({
  priceAmount: 4900n,
  currency: 'USD',
  interval: 'month',
  intervalCount: 1,
  trialDays: 0,
  durationCycles: null,
  limits: [limit('a', 10), limit('b', null)],
  ...overrides,
});

describe('termsChanged', () => {
  it('sees no change for equal terms, whatever the order of limits or of their keys (jsonb reorders keys)', () => {
    const fromDatabase = terms().limits.map(({ policyId, metric, kind, limit: l, enforcement, warningThresholds }) =>
      JSON.parse(JSON.stringify({ kind, limit: l, metric, policyId, enforcement, warningThresholds })),
    );
    expect(termsChanged(terms(), terms({ limits: fromDatabase.reverse() }))).toBe(false);
  });

  it.each<[string, Partial<PlanTerms>]>([
    ['price', { priceAmount: 4901n }],
    ['currency', { currency: 'EUR' }],
    ['interval', { interval: 'year' }],
    ['interval count', { intervalCount: 2 }],
    ['trial', { trialDays: 7 }],
    ['duration', { durationCycles: 12 }],
    ['a limit value', { limits: [limit('a', 11), limit('b', null)] }],
    ['a dropped limit', { limits: [limit('a', 10)] }],
    ['thresholds', { limits: [{ ...limit('a', 10), warningThresholds: [90] }, limit('b', null)] }],
  ])('sees a change of %s', (_label, overrides) => {
    expect(termsChanged(terms(), terms(overrides))).toBe(true);
  });
});
