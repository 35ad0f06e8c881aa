import { gaugeViolations, isUpgrade, usageView } from './usage-limits.rules.js';
import type { PlanLimit } from '../plans/plan-terms.rules.js';

const limit = (
  metric: string,
  kind: 'gauge' | 'counter',
  value: number | null,
  enforcement: 'hard' | 'soft' = 'hard',
): PlanLimit => ({
  policyId: metric,
  metric,
  kind,
  limit: value,
  enforcement,
  warningThresholds: [80, 100],
});

describe('usage limits', () => {
  const end = new Date('2030-02-01T00:00:00Z');

  it('shows remaining and reset time for counters, no reset for gauges, null for unlimited', () => {
    expect(usageView(limit('api_calls', 'counter', 100), 30, end)).toMatchObject({ used: 30, remaining: 70, resetsAt: end });
    expect(usageView(limit('max_users', 'gauge', 5), 7, end)).toMatchObject({ remaining: 0, resetsAt: null });
    expect(usageView(limit('storage_mb', 'gauge', null), 7, end)).toMatchObject({ limit: null, remaining: null });
  });

  it('blocks only hard gauge limits below current use', () => {
    const used = new Map([
      ['max_users', 6],
      ['api_calls', 1000],
      ['storage_mb', 10],
    ]);
    const limits = [limit('max_users', 'gauge', 5), limit('api_calls', 'counter', 10), limit('storage_mb', 'gauge', 5, 'soft')];
    expect(gaugeViolations(limits, used)).toEqual([{ metric: 'max_users', limit: 5, used: 6 }]);
    expect(gaugeViolations([limit('max_users', 'gauge', 6)], used)).toEqual([]);
  });

  it('compares plans of different intervals per unit of time', () => {
    const monthly = (p: bigint) => ({ priceAmount: p, interval: 'month' as const, intervalCount: 1 });
    const yearly = (p: bigint) => ({ priceAmount: p, interval: 'year' as const, intervalCount: 1 });
    expect(isUpgrade(monthly(1000n), monthly(3000n))).toBe(true);
    expect(isUpgrade(monthly(3000n), monthly(1000n))).toBe(false);
    expect(isUpgrade(monthly(1000n), yearly(10000n))).toBe(false); // 10000/yr < 12000/yr
    expect(isUpgrade(monthly(1000n), yearly(12000n))).toBe(true);
  });
});
