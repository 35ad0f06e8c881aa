import { trialDaysFor } from './trial.rules.js';

describe('one free trial per tenant', () => {
  it("gives a tenant that never had a trial the plan's trial days", () => {
    expect(trialDaysFor({ trialDays: 14 }, false)).toBe(14);
  });

  it('gives no trial to a tenant that has had one: the first period is paid at once', () => {
    expect(trialDaysFor({ trialDays: 14 }, true)).toBe(0);
  });

  it('gives no trial on a plan without one', () => {
    expect(trialDaysFor({ trialDays: 0 }, false)).toBe(0);
    expect(trialDaysFor({ trialDays: 0 }, true)).toBe(0);
  });
});
