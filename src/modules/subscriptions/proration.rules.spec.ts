import fc from 'fast-check';
import { prorateChange, type ProrationInput } from './proration.rules.js';

const d = (iso: string): Date => new Date(iso);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

const january = {
  currency: 'USD',
  periodStart: d('2030-01-01T00:00:00Z'),
  periodEnd: d('2030-02-01T00:00:00Z'),
  at: d('2030-01-16T00:00:00Z'),
};

describe('prorateChange, same interval', () => {
  it('reproduces the worked example: Starter 1000 → Pro 3000 on 16 Jan bills -516 + 1548 = 1032', () => {
    const { lines, total } = prorateChange({ ...january, oldPrice: 1000n, newPrice: 3000n, oldPlan: 'Starter', newPlan: 'Pro' });
    expect(total).toBe(1032n);
    expect(lines).toEqual([
      {
        kind: 'proration_credit',
        description: 'Unused time on Starter (16 Jan 2030 – 1 Feb 2030)',
        amount: -516n,
        periodStart: d('2030-01-16T00:00:00Z'),
        periodEnd: d('2030-02-01T00:00:00Z'),
        calculation: {
          formula: '-round(1000 × 1382400 / 2678400)',
          remainingSeconds: 1382400,
          periodSeconds: 2678400,
          fraction: '1382400/2678400',
          exact: '-516.129032',
          rounding: 'half_away_from_zero',
        },
      },
      {
        kind: 'proration_charge',
        description: 'Remaining time on Pro (16 Jan 2030 – 1 Feb 2030)',
        amount: 1548n,
        periodStart: d('2030-01-16T00:00:00Z'),
        periodEnd: d('2030-02-01T00:00:00Z'),
        calculation: {
          formula: 'round(3000 × 1382400 / 2678400)',
          remainingSeconds: 1382400,
          periodSeconds: 2678400,
          fraction: '1382400/2678400',
          exact: '1548.387096',
          rounding: 'half_away_from_zero',
        },
      },
    ]);
  });

  it('gives a negative total on a downgrade (it becomes tenant credit)', () => {
    const { lines, total } = prorateChange({ ...january, oldPrice: 3000n, newPrice: 1000n, oldPlan: 'Pro', newPlan: 'Starter' });
    expect(lines.map((l) => [l.kind, l.amount])).toEqual([
      ['proration_credit', -1548n],
      ['proration_charge', 516n],
    ]);
    expect(total).toBe(-1032n);
  });

  it('downgrading to a free plan credits the unused time only', () => {
    const { lines, total } = prorateChange({ ...january, oldPrice: 3000n, newPrice: 0n, oldPlan: 'Pro', newPlan: 'Free' });
    expect(lines.map((l) => l.amount)).toEqual([-1548n, 0n]);
    expect(total).toBe(-1548n);
  });

  it('still emits both lines, at zero, when no time is left', () => {
    for (const at of [january.periodEnd, d('2030-01-31T23:59:59.400Z'), d('2030-02-03T00:00:00Z')]) {
      const { lines, total } = prorateChange({
        ...january,
        at,
        oldPrice: 1000n,
        newPrice: 3000n,
        oldPlan: 'Starter',
        newPlan: 'Pro',
      });
      expect(lines.map((l) => [l.kind, l.amount])).toEqual([
        ['proration_credit', 0n],
        ['proration_charge', 0n],
      ]);
      expect(lines[0]!.calculation).toMatchObject({ remainingSeconds: 0, fraction: '0/2678400', exact: '0.000000' });
      expect(total).toBe(0n);
    }
  });

  it('credits and charges the whole price at the very start of the period', () => {
    const { lines, total } = prorateChange({
      ...january,
      at: january.periodStart,
      oldPrice: 1000n,
      newPrice: 3000n,
      oldPlan: 'Starter',
      newPlan: 'Pro',
    });
    expect(lines.map((l) => l.amount)).toEqual([-1000n, 3000n]);
    expect(lines[0]!.description).toBe('Unused time on Starter (1 Jan 2030 – 1 Feb 2030)');
    expect(total).toBe(2000n);
  });

  it('rounds each line half away from zero, so exact halves do not cancel', () => {
    const { lines, total } = prorateChange({
      currency: 'USD',
      periodStart: d('2030-01-01T00:00:00Z'),
      periodEnd: d('2030-01-01T00:00:02Z'),
      at: d('2030-01-01T00:00:01Z'),
      oldPrice: 1n,
      newPrice: 3n,
      oldPlan: 'A',
      newPlan: 'B',
    });
    // -0.5 → -1 and 1.5 → 2.
    expect(lines.map((l) => [l.amount, l.calculation.exact])).toEqual([
      [-1n, '-0.500000'],
      [2n, '1.500000'],
    ]);
    expect(total).toBe(1n);
  });

  it('refuses inputs that cannot be prorated', () => {
    const base: ProrationInput = { ...january, oldPrice: 1000n, newPrice: 3000n, oldPlan: 'Starter', newPlan: 'Pro' };
    expect(() => prorateChange({ ...base, currency: 'usd' })).toThrow(RangeError);
    expect(() => prorateChange({ ...base, oldPrice: -1n })).toThrow(RangeError);
    expect(() => prorateChange({ ...base, at: d('2029-12-31T00:00:00Z') })).toThrow(RangeError);
    expect(() => prorateChange({ ...base, periodEnd: base.periodStart, at: base.periodStart })).toThrow(RangeError);
    expect(() => prorateChange({ ...base, periodEnd: d('2029-12-01T00:00:00Z') })).toThrow(RangeError);
    expect(() => prorateChange({ ...base, newPeriodEnd: base.at })).toThrow(RangeError);
  });
});

describe('prorateChange, interval change', () => {
  it('credits the unused old time and charges the full new price for a period starting now', () => {
    const { lines, total } = prorateChange({
      ...january,
      oldPrice: 1000n,
      newPrice: 30000n,
      oldPlan: 'Starter',
      newPlan: 'Pro Yearly',
      newPeriodEnd: d('2031-01-16T00:00:00Z'),
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      kind: 'proration_credit',
      amount: -516n,
      description: 'Unused time on Starter (16 Jan 2030 – 1 Feb 2030)',
    });
    expect(lines[1]).toEqual({
      kind: 'subscription',
      description: 'Pro Yearly (16 Jan 2030 – 16 Jan 2031)',
      amount: 30000n,
      periodStart: d('2030-01-16T00:00:00Z'),
      periodEnd: d('2031-01-16T00:00:00Z'),
      calculation: { formula: '30000', rounding: 'half_away_from_zero' },
    });
    expect(total).toBe(29484n);
  });

  it('can net to a credit when moving to a cheaper, shorter interval', () => {
    const { lines, total } = prorateChange({
      periodStart: d('2030-01-01T00:00:00Z'),
      periodEnd: d('2031-01-01T00:00:00Z'),
      at: d('2030-01-02T00:00:00Z'),
      currency: 'EUR',
      oldPrice: 36500n,
      newPrice: 1000n,
      oldPlan: 'Yearly',
      newPlan: 'Monthly',
      newPeriodEnd: d('2030-02-02T00:00:00Z'),
    });
    expect(lines.map((l) => [l.kind, l.amount])).toEqual([
      ['proration_credit', -36400n],
      ['subscription', 1000n],
    ]);
    expect(total).toBe(-35400n);
  });
});

describe('prorateChange properties', () => {
  const YEAR = 31_556_952;
  const scenario = fc
    .record({
      oldPrice: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      newPrice: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      start: fc.date({ min: d('2000-01-01T00:00:00Z'), max: d('2100-01-01T00:00:00Z'), noInvalidDate: true }),
      periodSeconds: fc.integer({ min: 1, max: 5 * YEAR }),
      position: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ oldPrice, newPrice, start, periodSeconds, position }) => {
      const periodStart = new Date(Math.floor(start.getTime() / 1000) * 1000);
      const periodEnd = new Date(periodStart.getTime() + periodSeconds * 1000);
      const at = new Date(periodStart.getTime() + Math.floor(position * periodSeconds * 1000));
      return { oldPrice, newPrice, currency: 'USD', oldPlan: 'Old', newPlan: 'New', periodStart, periodEnd, at };
    });

  it('credit + charge is within one minor unit of (newPrice − oldPrice) × r, each line within ½', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { lines, total } = prorateChange(input);
        const [credit, charge] = lines;
        const R = BigInt(credit!.calculation.remainingSeconds!);
        const P = BigInt(credit!.calculation.periodSeconds!);
        // r must be the real seconds left over the real seconds in the period.
        expect(P).toBe(BigInt((input.periodEnd.getTime() - input.periodStart.getTime()) / 1000));
        expect(R).toBe(BigInt(Math.floor((input.periodEnd.getTime() - input.at.getTime()) / 1000)));
        // Cross-multiplied: |total − Δ·R/P| ≤ 1  ⇔  |total·P − Δ·R| ≤ P.
        expect(abs(total * P - (input.newPrice - input.oldPrice) * R) <= P).toBe(true);
        expect(abs(credit!.amount * P + input.oldPrice * R) * 2n <= P).toBe(true);
        expect(abs(charge!.amount * P - input.newPrice * R) * 2n <= P).toBe(true);
        expect(credit!.amount <= 0n && charge!.amount >= 0n).toBe(true);
        expect(total).toBe(credit!.amount + charge!.amount);
      }),
      { numRuns: 1000 },
    );
  });

  it('on an interval change, total = full new price minus the credit for the unused time', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 5 * YEAR }), (input, newSeconds) => {
        const newPeriodEnd = new Date(input.at.getTime() + newSeconds * 1000);
        const { lines, total } = prorateChange({ ...input, newPeriodEnd });
        const [credit, subscription] = lines;
        const R = BigInt(credit!.calculation.remainingSeconds!);
        const P = BigInt(credit!.calculation.periodSeconds!);
        expect(abs(credit!.amount * P + input.oldPrice * R) * 2n <= P).toBe(true);
        expect(subscription).toMatchObject({
          kind: 'subscription',
          amount: input.newPrice,
          periodStart: input.at,
          periodEnd: newPeriodEnd,
        });
        expect(total).toBe(input.newPrice + credit!.amount);
      }),
      { numRuns: 500 },
    );
  });
});
