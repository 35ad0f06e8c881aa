import fc from 'fast-check';
import type { Interval } from '../plans/plan-terms.rules.js';
import {
  addDays,
  nextBoundaryAfter,
  nominalSeconds,
  periodBoundary,
  periodSeconds,
  remainingSeconds,
} from './billing-period.rules.js';

const d = (iso: string): Date => new Date(iso);
const iso = (date: Date): string => date.toISOString();
const boundaries = (anchor: Date, interval: Interval, count: number, n: number): string[] =>
  Array.from({ length: n }, (_, k) => iso(periodBoundary(anchor, interval, count, k)));

describe('periodBoundary', () => {
  it('keeps a Jan 31 anchor at month end for a whole year (non-leap 2030), keeping the time of day', () => {
    expect(boundaries(d('2030-01-31T10:30:15.250Z'), 'month', 1, 14)).toEqual([
      '2030-01-31T10:30:15.250Z',
      '2030-02-28T10:30:15.250Z',
      '2030-03-31T10:30:15.250Z',
      '2030-04-30T10:30:15.250Z',
      '2030-05-31T10:30:15.250Z',
      '2030-06-30T10:30:15.250Z',
      '2030-07-31T10:30:15.250Z',
      '2030-08-31T10:30:15.250Z',
      '2030-09-30T10:30:15.250Z',
      '2030-10-31T10:30:15.250Z',
      '2030-11-30T10:30:15.250Z',
      '2030-12-31T10:30:15.250Z',
      '2031-01-31T10:30:15.250Z',
      '2031-02-28T10:30:15.250Z',
    ]);
  });

  it('clamps to Feb 29 in a leap year (2028) and returns to the 31st after', () => {
    expect(boundaries(d('2028-01-31T00:00:00Z'), 'month', 1, 4)).toEqual([
      '2028-01-31T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
      '2028-03-31T00:00:00.000Z',
      '2028-04-30T00:00:00.000Z',
    ]);
    expect(iso(periodBoundary(d('2027-12-30T00:00:00Z'), 'month', 1, 2))).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(periodBoundary(d('2029-12-29T00:00:00Z'), 'month', 1, 2))).toBe('2030-02-28T00:00:00.000Z');
  });

  it('does not clamp days that exist in every month', () => {
    expect(boundaries(d('2030-01-15T08:00:00Z'), 'month', 1, 3)).toEqual([
      '2030-01-15T08:00:00.000Z',
      '2030-02-15T08:00:00.000Z',
      '2030-03-15T08:00:00.000Z',
    ]);
  });

  it('runs yearly periods from Feb 29 to Feb 28, back to Feb 29 in the next leap year', () => {
    expect(boundaries(d('2028-02-29T12:00:00Z'), 'year', 1, 5)).toEqual([
      '2028-02-29T12:00:00.000Z',
      '2029-02-28T12:00:00.000Z',
      '2030-02-28T12:00:00.000Z',
      '2031-02-28T12:00:00.000Z',
      '2032-02-29T12:00:00.000Z',
    ]);
    expect(iso(periodBoundary(d('2028-02-29T12:00:00Z'), 'year', 2, 1))).toBe('2030-02-28T12:00:00.000Z');
    expect(iso(periodBoundary(d('2028-02-29T12:00:00Z'), 'year', 2, 2))).toBe('2032-02-29T12:00:00.000Z');
    // 2100 is not a leap year.
    expect(iso(periodBoundary(d('2096-02-29T00:00:00Z'), 'year', 4, 1))).toBe('2100-02-28T00:00:00.000Z');
  });

  it('handles every-3-months intervals with clamping from the anchor', () => {
    expect(boundaries(d('2029-11-30T00:00:00Z'), 'month', 3, 5)).toEqual([
      '2029-11-30T00:00:00.000Z',
      '2030-02-28T00:00:00.000Z',
      '2030-05-30T00:00:00.000Z',
      '2030-08-30T00:00:00.000Z',
      '2030-11-30T00:00:00.000Z',
    ]);
    expect(boundaries(d('2029-08-31T00:00:00Z'), 'month', 3, 4)).toEqual([
      '2029-08-31T00:00:00.000Z',
      '2029-11-30T00:00:00.000Z',
      '2030-02-28T00:00:00.000Z',
      '2030-05-31T00:00:00.000Z',
    ]);
  });

  it('adds exact 86 400 s days for day and week intervals', () => {
    const anchor = d('2030-03-30T23:59:59.999Z');
    expect(boundaries(anchor, 'day', 1, 3)).toEqual([
      '2030-03-30T23:59:59.999Z',
      '2030-03-31T23:59:59.999Z',
      '2030-04-01T23:59:59.999Z',
    ]);
    expect(boundaries(anchor, 'day', 10, 2)).toEqual(['2030-03-30T23:59:59.999Z', '2030-04-09T23:59:59.999Z']);
    expect(boundaries(anchor, 'week', 1, 3)).toEqual([
      '2030-03-30T23:59:59.999Z',
      '2030-04-06T23:59:59.999Z',
      '2030-04-13T23:59:59.999Z',
    ]);
    expect(iso(periodBoundary(anchor, 'week', 2, 3))).toBe('2030-05-11T23:59:59.999Z');
  });

  it('crosses year boundaries by month arithmetic', () => {
    expect(iso(periodBoundary(d('2030-12-31T00:00:00Z'), 'month', 1, 2))).toBe('2031-02-28T00:00:00.000Z');
    expect(iso(periodBoundary(d('2030-10-31T00:00:00Z'), 'month', 1, 100))).toBe('2039-02-28T00:00:00.000Z');
  });

  it('refuses bad counts and indexes', () => {
    const anchor = d('2030-01-01T00:00:00Z');
    expect(() => periodBoundary(anchor, 'month', 0, 1)).toThrow(RangeError);
    expect(() => periodBoundary(anchor, 'month', 1.5, 1)).toThrow(RangeError);
    expect(() => periodBoundary(anchor, 'month', 1, -1)).toThrow(RangeError);
    expect(() => periodBoundary(anchor, 'day', 1, 0.5)).toThrow(RangeError);
    expect(() => periodBoundary(anchor, 'year', 1, 1_000_000)).toThrow(RangeError);
  });

  it('is strictly increasing in k (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: d('1970-01-01T00:00:00Z'), max: d('2200-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom<Interval>('day', 'week', 'month', 'year'),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 500 }),
        (anchor, interval, count, k) => {
          const a = periodBoundary(anchor, interval, count, k).getTime();
          expect(periodBoundary(anchor, interval, count, k + 1).getTime()).toBeGreaterThan(a);
        },
      ),
    );
  });
});

describe('nextBoundaryAfter', () => {
  const anchor = d('2030-01-31T10:00:00Z');

  it('returns the anchor for instants before it', () => {
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, d('2029-06-01T00:00:00Z')))).toBe('2030-01-31T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'day', 1, d('2030-01-31T09:59:59.999Z')))).toBe('2030-01-31T10:00:00.000Z');
  });

  it('is strictly after: exactly on a boundary gives the next one', () => {
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, anchor))).toBe('2030-02-28T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, d('2030-02-28T10:00:00Z')))).toBe('2030-03-31T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'week', 1, d('2030-02-07T10:00:00Z')))).toBe('2030-02-14T10:00:00.000Z');
  });

  it('finds a clamped boundary later in the same month as the instant', () => {
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, d('2030-02-28T09:59:59Z')))).toBe('2030-02-28T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, d('2030-02-28T10:00:01Z')))).toBe('2030-03-31T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, d('2030-04-30T23:00:00Z')))).toBe('2030-05-31T10:00:00.000Z');
  });

  it('jumps across many periods arithmetically', () => {
    // 1000 years of monthly periods, and 100 000 days.
    expect(iso(nextBoundaryAfter(anchor, 'month', 1, d('3030-02-01T00:00:00Z')))).toBe('3030-02-28T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'month', 3, d('2530-01-31T10:00:00Z')))).toBe('2530-04-30T10:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, 'year', 1, d('2528-02-29T00:00:00Z')))).toBe('2529-01-31T10:00:00.000Z');
    const dayAnchor = d('2030-01-01T00:00:00Z');
    expect(iso(nextBoundaryAfter(dayAnchor, 'day', 1, d('2303-10-17T12:00:00Z')))).toBe('2303-10-18T00:00:00.000Z');
    expect(iso(nextBoundaryAfter(dayAnchor, 'day', 1, d('2303-10-18T00:00:00Z')))).toBe('2303-10-19T00:00:00.000Z');
  });

  it('matches a linear scan, and brackets the instant between two boundaries (property)', () => {
    const nominalMs = (interval: Interval, count: number): number => nominalSeconds(interval, count) * 1000;
    fc.assert(
      fc.property(
        fc.date({ min: d('1970-01-01T00:00:00Z'), max: d('2200-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom<Interval>('day', 'week', 'month', 'year'),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: -2, max: 300, noNaN: true }),
        (anchor, interval, count, periods) => {
          const after = new Date(anchor.getTime() + Math.round(periods * nominalMs(interval, count)));
          const next = nextBoundaryAfter(anchor, interval, count, after);
          expect(next.getTime()).toBeGreaterThan(after.getTime());
          let k = 0;
          while (periodBoundary(anchor, interval, count, k).getTime() <= after.getTime()) k++;
          expect(iso(next)).toBe(iso(periodBoundary(anchor, interval, count, k)));
          if (k > 0) expect(periodBoundary(anchor, interval, count, k - 1).getTime()).toBeLessThanOrEqual(after.getTime());
          else expect(after.getTime()).toBeLessThan(anchor.getTime());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is exact on and around every boundary (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: d('1970-01-01T00:00:00Z'), max: d('2200-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom<Interval>('day', 'week', 'month', 'year'),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 2000 }),
        (anchor, interval, count, k) => {
          const b = periodBoundary(anchor, interval, count, k);
          const next = periodBoundary(anchor, interval, count, k + 1);
          expect(iso(nextBoundaryAfter(anchor, interval, count, new Date(b.getTime() - 1)))).toBe(iso(b));
          expect(iso(nextBoundaryAfter(anchor, interval, count, b))).toBe(iso(next));
          expect(iso(nextBoundaryAfter(anchor, interval, count, new Date(next.getTime() - 1)))).toBe(iso(next));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('durations', () => {
  it('addDays adds exact days', () => {
    expect(iso(addDays(d('2028-02-28T06:00:00Z'), 1))).toBe('2028-02-29T06:00:00.000Z');
    expect(iso(addDays(d('2030-02-28T06:00:00Z'), 14))).toBe('2030-03-14T06:00:00.000Z');
    expect(iso(addDays(d('2030-01-01T00:00:00Z'), -1))).toBe('2029-12-31T00:00:00.000Z');
    expect(iso(addDays(d('2030-01-01T00:00:00Z'), 0))).toBe('2030-01-01T00:00:00.000Z');
  });

  it('nominalSeconds uses Gregorian averages times the count', () => {
    expect(nominalSeconds('day', 1)).toBe(86_400);
    expect(nominalSeconds('week', 2)).toBe(1_209_600);
    expect(nominalSeconds('month', 1)).toBe(2_629_746);
    expect(nominalSeconds('month', 12)).toBe(nominalSeconds('year', 1));
    expect(nominalSeconds('year', 1)).toBe(365.2425 * 86_400);
    expect(() => nominalSeconds('month', 0)).toThrow(RangeError);
  });

  it('periodSeconds and remainingSeconds count whole seconds', () => {
    expect(periodSeconds(d('2030-01-01T00:00:00Z'), d('2030-02-01T00:00:00Z'))).toBe(2_678_400);
    expect(periodSeconds(d('2030-01-01T00:00:00.000Z'), d('2030-01-01T00:00:01.999Z'))).toBe(1);
    expect(periodSeconds(d('2030-01-01T00:00:00Z'), d('2030-01-01T00:00:00Z'))).toBe(0);
    expect(() => periodSeconds(d('2030-01-02T00:00:00Z'), d('2030-01-01T00:00:00Z'))).toThrow(RangeError);
    expect(remainingSeconds(d('2030-01-16T00:00:00Z'), d('2030-02-01T00:00:00Z'))).toBe(1_382_400);
    expect(remainingSeconds(d('2030-01-31T23:59:59.500Z'), d('2030-02-01T00:00:00Z'))).toBe(0);
    expect(remainingSeconds(d('2030-02-01T00:00:00Z'), d('2030-02-01T00:00:00Z'))).toBe(0);
    expect(remainingSeconds(d('2030-03-01T00:00:00Z'), d('2030-02-01T00:00:00Z'))).toBe(0);
  });
});
