import fc from 'fast-check';
import { CURRENCIES, fromMinor, isCurrency, prorate, roundDiv, toMinor } from './money.js';

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

describe('roundDiv', () => {
  it.each([
    [5n, 2n, 3n],
    [-5n, 2n, -3n],
    [7n, 3n, 2n],
    [-7n, 3n, -2n],
    [8n, 3n, 3n],
    [-8n, 3n, -3n],
    [1n, 2n, 1n],
    [-1n, 2n, -1n],
    [1n, 3n, 0n],
    [-1n, 3n, 0n],
    [0n, 7n, 0n],
    [6n, 3n, 2n],
    [-6n, 3n, -2n],
    [15n, 10n, 2n],
    [-15n, 10n, -2n],
    [14n, 10n, 1n],
    [-25n, 10n, -3n],
  ])('%p / %p = %p', (n, d, q) => {
    expect(roundDiv(n, d)).toBe(q);
  });

  it('refuses a zero or negative denominator', () => {
    expect(() => roundDiv(1n, 0n)).toThrow(RangeError);
    expect(() => roundDiv(1n, -2n)).toThrow(RangeError);
  });

  it('is exact for numbers far beyond the float range', () => {
    const big = 10n ** 30n;
    expect(roundDiv(big * 3n + 1n, 2n)).toBe((big * 3n) / 2n + 1n);
    expect(roundDiv(-(big * 2n + 1n), 2n)).toBe(-(big + 1n));
  });

  it('matches half-away-from-zero rounding of the exact rational (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (n, d) => {
        const q = roundDiv(n, d);
        // Reference by a different route: floor((2|n| + d) / 2d) with the sign of n.
        const reference = ((2n * abs(n) + d) / (2n * d)) * (n < 0n ? -1n : 1n);
        expect(q).toBe(reference);
        // And the defining inequalities: |n/d − q| ≤ ½, and on a tie q lies away from zero.
        const error = abs(n - q * d) * 2n;
        expect(error <= d).toBe(true);
        if (error === d) expect(abs(q * d) > abs(n)).toBe(true);
        // Symmetric around zero.
        expect(roundDiv(-n, d)).toBe(-q);
      }),
      { numRuns: 2000 },
    );
  });

  it('hits ties often with small denominators (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(2, 4, 10), (n, d) => {
        const exact = n / d; // small integers: the float is exact enough to cross-check here
        const expected = Math.sign(exact) * Math.round(Math.abs(exact));
        expect(roundDiv(BigInt(n), BigInt(d))).toBe(BigInt(expected));
      }),
    );
  });
});

describe('prorate', () => {
  it('rounds amount × numerator / denominator half away from zero', () => {
    expect(prorate(1000n, 1382400n, 2678400n)).toBe(516n);
    expect(prorate(3000n, 1382400n, 2678400n)).toBe(1548n);
    expect(prorate(1n, 1n, 2n)).toBe(1n);
    expect(prorate(-1n, 1n, 2n)).toBe(-1n);
    expect(prorate(999n, 0n, 10n)).toBe(0n);
  });
});

describe('toMinor / fromMinor', () => {
  it('converts safe integers both ways', () => {
    expect(toMinor(4900)).toBe(4900n);
    expect(toMinor(-5)).toBe(-5n);
    expect(toMinor(Number.MAX_SAFE_INTEGER)).toBe(9007199254740991n);
    expect(fromMinor(4900n)).toBe(4900);
    expect(fromMinor(BigInt(Number.MIN_SAFE_INTEGER))).toBe(Number.MIN_SAFE_INTEGER);
  });

  it.each([49.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, 1e20])('toMinor refuses %p', (value) => {
    expect(() => toMinor(value)).toThrow(RangeError);
  });

  it('fromMinor refuses values outside the safe range', () => {
    expect(() => fromMinor(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toThrow(RangeError);
    expect(() => fromMinor(BigInt(Number.MIN_SAFE_INTEGER) - 1n)).toThrow(RangeError);
  });

  it('round-trips (property)', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => expect(fromMinor(toMinor(n))).toBe(n)));
  });
});

describe('currencies', () => {
  it('holds the current ISO 4217 list', () => {
    expect(CURRENCIES.size).toBeGreaterThanOrEqual(150);
    for (const code of CURRENCIES) expect(code).toMatch(/^[A-Z]{3}$/);
    for (const code of ['USD', 'EUR', 'GBP', 'JPY', 'SAR', 'EGP', 'AED', 'KWD', 'CHF', 'XOF', 'SLE', 'VES', 'ZWG', 'XCG']) {
      expect(isCurrency(code)).toBe(true);
    }
  });

  it('refuses lower case, unknown and replaced codes', () => {
    for (const code of ['usd', 'Usd', 'USD ', '', 'US', 'USDD', 'ABC', 'HRK', 'VEF', 'MRO', 'BYR', 'DEM']) {
      expect(isCurrency(code)).toBe(false);
    }
  });
});
