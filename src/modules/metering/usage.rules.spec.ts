import fc from 'fast-check';
import {
  bucketsBetween,
  bucketStart,
  crossedThresholds,
  isAllowed,
  MAX_BUCKETS,
  planWrite,
  refusingLimit,
  remainingOf,
  warningFor,
  writeFingerprint,
} from './usage.rules.js';

describe('planWrite', () => {
  it('increments counters by quantity (default 1)', () => {
    expect(planWrite({ metric: 'api_calls' })).toEqual({
      metric: 'api_calls',
      kind: 'counter',
      operation: 'increment',
      amount: 1,
    });
    expect(planWrite({ metric: 'emails_sent', quantity: 5 })).toEqual({
      metric: 'emails_sent',
      kind: 'counter',
      operation: 'increment',
      amount: 5,
    });
  });

  it('sets or increments storage_mb', () => {
    expect(planWrite({ metric: 'storage_mb', operation: 'set', value: 0 })).toMatchObject({
      kind: 'gauge',
      operation: 'set',
      amount: 0,
    });
    expect(planWrite({ metric: 'storage_mb', quantity: 3 })).toMatchObject({ kind: 'gauge', operation: 'increment', amount: 3 });
  });

  it('refuses max_users (it follows membership), set on counters, and mixed-up fields', () => {
    expect(planWrite({ metric: 'max_users' })).toEqual([{ field: 'metric', message: expect.stringContaining('membership') }]);
    expect(planWrite({ metric: 'api_calls', operation: 'set', value: 3 })).toEqual([
      { field: 'operation', message: expect.any(String) },
    ]);
    expect(planWrite({ metric: 'storage_mb', operation: 'set' })).toEqual([{ field: 'value', message: expect.any(String) }]);
    expect(planWrite({ metric: 'storage_mb', operation: 'set', value: 1, quantity: 1 })).toEqual([
      { field: 'quantity', message: expect.any(String) },
    ]);
    expect(planWrite({ metric: 'api_calls', value: 1 })).toEqual([{ field: 'value', message: expect.any(String) }]);
  });

  it('does not treat Object.prototype names as built-in metrics', () => {
    expect(planWrite({ metric: 'constructor' })).toMatchObject({ kind: 'counter' });
  });
});

describe('writeFingerprint', () => {
  const write = planWrite({ metric: 'api_calls', quantity: 2 }) as Exclude<ReturnType<typeof planWrite>, unknown[]>;
  it('is the same for the same write and differs when any part differs', () => {
    expect(writeFingerprint(write, undefined)).toEqual(writeFingerprint({ ...write }, undefined));
    expect(writeFingerprint(write, undefined)).not.toEqual(writeFingerprint({ ...write, amount: 3 }, undefined));
    expect(writeFingerprint(write, undefined)).not.toEqual(writeFingerprint({ ...write, metric: 'api_call' }, undefined));
    expect(writeFingerprint(write, undefined)).not.toEqual(writeFingerprint(write, '2030-01-01T00:00:00Z'));
  });
});

describe('answers', () => {
  it('computes remaining, warnings and allowed', () => {
    expect(remainingOf(100, 30)).toBe(70);
    expect(remainingOf(100, 130)).toBe(0);
    expect(remainingOf(null, 5)).toBeNull();
    expect(warningFor('api_calls', 100, 100)).toBeUndefined();
    expect(warningFor('api_calls', 101, 100)).toEqual({
      code: 'over_limit',
      message: 'api_calls is over its limit of 100 (101 used)',
    });
    expect(warningFor('api_calls', 5, null)).toBeUndefined();
    expect(isAllowed(99, 100, 'hard')).toBe(true);
    expect(isAllowed(100, 100, 'hard')).toBe(false);
    expect(isAllowed(95, 100, 'hard', 5)).toBe(true);
    expect(isAllowed(95, 100, 'hard', 6)).toBe(false);
    expect(isAllowed(500, 100, 'soft')).toBe(true);
    expect(isAllowed(500, null, null)).toBe(true);
    expect(isAllowed(0, 0, 'hard')).toBe(false);
  });
});

describe('crossedThresholds', () => {
  it('finds the thresholds a change crossed upwards, exactly', () => {
    expect(crossedThresholds(79, 80, 100, [80, 100])).toEqual([80]);
    expect(crossedThresholds(80, 81, 100, [80, 100])).toEqual([]);
    expect(crossedThresholds(0, 100, 100, [100, 80])).toEqual([80, 100]);
    expect(crossedThresholds(99, 150, 100, [80, 100, 150])).toEqual([100, 150]);
    expect(crossedThresholds(5, 3, 10, [10, 50])).toEqual([]);
    expect(crossedThresholds(0, 5, null, [80])).toEqual([]);
    expect(crossedThresholds(0, 5, 0, [80])).toEqual([]);
    // 80 % of 3 is 2.4: reached at 3, not at 2.
    expect(crossedThresholds(1, 2, 3, [80])).toEqual([]);
    expect(crossedThresholds(2, 3, 3, [80])).toEqual([80]);
    expect(crossedThresholds(0, 1, 3, [80, 80])).toEqual([]);
  });

  it('crosses each threshold exactly once over any run of increments (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 200 }),
        (limit, thresholds, steps) => {
          let used = 0;
          const seen: number[] = [];
          for (const step of steps) {
            seen.push(...crossedThresholds(used, used + step, limit, thresholds));
            used += step;
          }
          const expected = thresholds.filter((t) => used * 100 >= t * limit).sort((a, b) => a - b);
          expect([...seen].sort((a, b) => a - b)).toEqual(expected);
        },
      ),
    );
  });
});

describe('history buckets', () => {
  const d = (s: string) => new Date(s);
  it('aligns to UTC hours and days and covers [from, to)', () => {
    expect(bucketStart(d('2030-01-01T10:59:59.999Z'), 'hour').toISOString()).toBe('2030-01-01T10:00:00.000Z');
    expect(bucketStart(d('2030-01-01T23:59:59Z'), 'day').toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(
      (bucketsBetween(d('2030-01-01T10:30:00Z'), d('2030-01-01T13:00:00Z'), 'hour') as Date[]).map((b) => b.toISOString()),
    ).toEqual(['2030-01-01T10:00:00.000Z', '2030-01-01T11:00:00.000Z', '2030-01-01T12:00:00.000Z']);
    expect((bucketsBetween(d('2030-01-01T00:00:00Z'), d('2030-01-03T00:00:01Z'), 'day') as Date[]).length).toBe(3);
  });

  it('refuses an empty or reversed range and too many buckets', () => {
    expect(bucketsBetween(d('2030-01-02T00:00:00Z'), d('2030-01-01T00:00:00Z'), 'day')).toEqual([
      { field: 'to', message: 'to must be after from' },
    ]);
    expect(bucketsBetween(d('2030-01-01T00:00:00Z'), d('2030-01-01T00:00:00Z'), 'hour')).toEqual([
      { field: 'to', message: 'to must be after from' },
    ]);
    const start = d('2030-01-01T00:00:00Z');
    expect(bucketsBetween(start, new Date(start.getTime() + MAX_BUCKETS * 3_600_000), 'hour')).toHaveLength(MAX_BUCKETS);
    expect(bucketsBetween(start, new Date(start.getTime() + MAX_BUCKETS * 3_600_000 + 1), 'hour')).toEqual([
      { field: 'to', message: expect.stringContaining('at most 1000 hour buckets') },
    ]);
  });
});

describe('refusingLimit', () => {
  it('names the hard limit that refused', () => {
    expect(refusingLimit(100, 'hard')).toBe(100);
    expect(refusingLimit(0, 'hard')).toBe(0);
  });

  it('never reads "no limit" or a soft limit as the limit that refused: a refusal there is a fault, not a 403', () => {
    expect(() => refusingLimit(null, 'hard')).toThrow('usage refused without a hard limit');
    expect(() => refusingLimit(null, null)).toThrow('usage refused without a hard limit');
    expect(() => refusingLimit(5, 'soft')).toThrow('usage refused without a hard limit');
  });
});
