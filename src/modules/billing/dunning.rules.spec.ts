import fc from 'fast-check';
import { afterFailedAttempt, automaticAttemptDue, DunningState, nextRetryAt } from './dunning.rules.js';

const at = (iso: string) => new Date(iso);
const fresh: DunningState = { dunningStartedAt: null, autoAttemptCount: 0, nextAttemptAt: null };

describe('dunning schedule', () => {
  it('retries 1, 3 and 7 days after the first failure when each runs on time, then gives up', () => {
    expect(nextRetryAt(at('2030-03-01T10:00:00Z'), 1)).toEqual(at('2030-03-02T10:00:00Z'));
    expect(nextRetryAt(at('2030-03-02T10:00:00Z'), 2)).toEqual(at('2030-03-04T10:00:00Z'));
    expect(nextRetryAt(at('2030-03-04T10:00:00Z'), 3)).toEqual(at('2030-03-08T10:00:00Z'));
    expect(nextRetryAt(at('2030-03-08T10:00:00Z'), 4)).toBeNull();
  });

  it('keeps the spacing after a late catch-up: each retry counts from when the previous one ran', () => {
    const t0 = at('2030-03-01T10:00:00Z');
    let s = afterFailedAttempt(fresh, true, t0);
    // The worker was down for a week: the first retry runs on 8 March, not 2 March.
    s = afterFailedAttempt(s, true, at('2030-03-08T10:00:00Z'));
    expect(s.nextAttemptAt).toEqual(at('2030-03-10T10:00:00Z'));
    s = afterFailedAttempt(s, true, at('2030-03-10T10:00:00Z'));
    expect(s.nextAttemptAt).toEqual(at('2030-03-14T10:00:00Z'));
  });

  it('walks the schedule on automatic failures only, and ends after the fourth', () => {
    const t0 = at('2030-03-01T10:00:00Z');
    let s = afterFailedAttempt(fresh, true, t0);
    expect(s).toEqual({ dunningStartedAt: t0, autoAttemptCount: 1, nextAttemptAt: at('2030-03-02T10:00:00Z'), exhausted: false });
    s = afterFailedAttempt(s, true, at('2030-03-02T10:00:00Z'));
    expect(s.nextAttemptAt).toEqual(at('2030-03-04T10:00:00Z'));
    s = afterFailedAttempt(s, true, at('2030-03-04T10:00:00Z'));
    expect(s.nextAttemptAt).toEqual(at('2030-03-08T10:00:00Z'));
    s = afterFailedAttempt(s, true, at('2030-03-08T10:00:00Z'));
    expect(s).toMatchObject({ autoAttemptCount: 4, nextAttemptAt: null, exhausted: true });
  });

  it('property: any number of manual failures, anywhere in the schedule, changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 12 }), (automatic) => {
        const now = at('2030-03-01T10:00:00Z');
        let withManual: DunningState = fresh;
        let autoOnly: DunningState = fresh;
        for (const isAuto of automatic) {
          if (autoOnly.autoAttemptCount >= 4) break;
          withManual = afterFailedAttempt(withManual, isAuto, now);
          if (isAuto) autoOnly = afterFailedAttempt(autoOnly, true, now);
          const { dunningStartedAt, autoAttemptCount, nextAttemptAt } = withManual;
          expect({ dunningStartedAt, autoAttemptCount, nextAttemptAt }).toEqual({
            dunningStartedAt: autoOnly.dunningStartedAt,
            autoAttemptCount: autoOnly.autoAttemptCount,
            nextAttemptAt: autoOnly.nextAttemptAt,
          });
        }
      }),
    );
  });

  it('an automatic attempt is due first at once, then only at its retry time', () => {
    expect(automaticAttemptDue(fresh, at('2030-01-01T00:00:00Z'))).toBe(true);
    const s = afterFailedAttempt(fresh, true, at('2030-03-01T10:00:00Z'));
    expect(automaticAttemptDue(s, at('2030-03-02T09:59:59Z'))).toBe(false);
    expect(automaticAttemptDue(s, at('2030-03-02T10:00:00Z'))).toBe(true);
    expect(automaticAttemptDue({ ...s, nextAttemptAt: null }, at('2031-01-01T00:00:00Z'))).toBe(false);
  });
});
