import { eventually, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  CARDS,
  createPlan,
  createPlatformAdmin,
  createTenantWithAdmin,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/**
 * Subscriptions living on their own, driven by the application clock alone: moving the clock
 * triggers the worker's scan, which renews, retries and ends subscriptions as that time requires.
 */
describe('renewals, trials, dunning and fixed terms (clock-driven)', () => {
  let t: TestApp;
  let adminToken: string;
  /** The tenant whose subscription expired unpaid: later clock moves must bill it nothing more. */
  let expired: TenantWithAdmin;

  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true' }, { worker: true });
    adminToken = (await createPlatformAdmin(t)).token;
    await moveClock('2030-01-01T00:00:00Z');
  });
  afterAll(() => t.close());

  async function moveClock(now: string): Promise<void> {
    const res = await t.api.request('PUT', '/v1/admin/clock', { now }, { token: adminToken });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
  }

  const invoices = async (tenant: TenantWithAdmin) => (await t.api.get('/v1/invoices?limit=100', as(tenant))).body.data.reverse();
  const payments = async (tenant: TenantWithAdmin) => (await t.api.get('/v1/payments?limit=100', as(tenant))).body.data.reverse();
  const history = async (tenant: TenantWithAdmin) => (await t.api.get('/v1/subscriptions', as(tenant))).body.data[0];

  /** Waits until the tenant's latest subscription matches. */
  const until = (tenant: TenantWithAdmin, check: (s: any) => boolean) =>
    eventually(async () => {
      const s = await history(tenant);
      return check(s) && s;
    });

  it('walks trial → active → renewal → past_due → recovered → past_due → three failed retries → expired', async () => {
    const plan = await createPlan(t.api, adminToken, { name: 'Team', priceAmount: 2000, trialDays: 14 });
    const tenant = await createTenantWithAdmin(t.api, 'Dunning Co');
    await addCard(t.api, tenant);
    const sub = await subscribe(t.api, tenant, plan.id);
    expect(sub).toMatchObject({ status: 'trialing', cyclesBilled: 0 });
    expect(sub.trialEnd!.slice(0, 10)).toBe('2030-01-15');

    // The trial's end is a renewal: the first charge.
    await moveClock('2030-01-15T00:00:01Z');
    let s = await until(tenant, (x) => x.status === 'active');
    expect(s.currentPeriodStart).toBe(sub.trialEnd);
    expect(s.currentPeriodEnd.slice(0, 10)).toBe('2030-02-15');
    expect((await invoices(tenant)).map((i: any) => [i.number, i.status, i.totalAmount, i.billingReason])).toEqual([
      ['INV-000001', 'paid', 2000, 'subscription_cycle'],
    ]);

    // An ordinary renewal.
    await moveClock('2030-02-15T00:00:01Z');
    s = await until(tenant, (x) => x.cyclesBilled === 2);
    expect(s).toMatchObject({ status: 'active' });
    expect(s.currentPeriodEnd.slice(0, 10)).toBe('2030-03-15');

    // A declined renewal: past due, invoice left open, a retry scheduled a day later.
    await addCard(t.api, tenant, CARDS.declined);
    await moveClock('2030-03-15T00:00:01Z');
    await until(tenant, (x) => x.status === 'past_due');
    const third = (await invoices(tenant))[2];
    expect(third).toMatchObject({ number: 'INV-000003', status: 'open', attemptCount: 1 });
    expect(third.nextAttemptAt.slice(0, 10)).toBe('2030-03-16');

    // Paying the invoice recovers the subscription.
    await addCard(t.api, tenant, CARDS.ok);
    const paid = await t.api.post(`/v1/invoices/${third.id}/pay`, undefined, as(tenant));
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', attemptCount: 2, nextAttemptAt: null });
    expect((await history(tenant)).status).toBe('active');

    // Declined again at the next renewal; retries 1, 3 and 7 days later all fail; then it expires.
    await addCard(t.api, tenant, CARDS.insufficient);
    await moveClock('2030-04-15T00:00:01Z');
    await until(tenant, (x) => x.status === 'past_due' && x.cyclesBilled === 4);
    const fourth = (await invoices(tenant))[3];
    expect(fourth).toMatchObject({ number: 'INV-000004', status: 'open', attemptCount: 1 });
    expect(fourth.nextAttemptAt.slice(0, 10)).toBe('2030-04-16');

    const attemptsOf = async () => (await t.api.get(`/v1/invoices/${fourth.id}`, as(tenant))).body;
    await moveClock('2030-04-16T00:00:02Z');
    let inv = await eventually(async () => ((await attemptsOf()).attemptCount === 2 ? attemptsOf() : false));
    expect(inv.nextAttemptAt.slice(0, 10)).toBe('2030-04-18');
    // Each retry counts from when the previous one ran (a few seconds after the clock move).
    await moveClock('2030-04-18T00:10:00Z');
    inv = await eventually(async () => ((await attemptsOf()).attemptCount === 3 ? attemptsOf() : false));
    expect(inv.nextAttemptAt.slice(0, 10)).toBe('2030-04-22');
    await moveClock('2030-04-22T00:20:00Z');
    s = await until(tenant, (x) => x.status === 'expired');
    expect(s.endedReason).toBe('unpaid');
    expect(await attemptsOf()).toMatchObject({ status: 'uncollectible', attemptCount: 4, nextAttemptAt: null });

    expect((await payments(tenant)).map((p: any) => [p.invoiceNumber, p.attempt, p.status, p.failureCode])).toEqual([
      ['INV-000001', 1, 'succeeded', null],
      ['INV-000002', 1, 'succeeded', null],
      ['INV-000003', 1, 'failed', 'card_declined'],
      ['INV-000003', 2, 'succeeded', null],
      ['INV-000004', 1, 'failed', 'insufficient_funds'],
      ['INV-000004', 2, 'failed', 'insufficient_funds'],
      ['INV-000004', 3, 'failed', 'insufficient_funds'],
      ['INV-000004', 4, 'failed', 'insufficient_funds'],
    ]);
    expired = tenant;
  });

  it('bills a fixed two-cycle plan exactly twice, then expires it', async () => {
    await moveClock('2030-07-01T00:00:00Z');
    const plan = await createPlan(t.api, adminToken, { name: 'Two months', priceAmount: 500, durationCycles: 2 });
    const tenant = await createTenantWithAdmin(t.api);
    await addCard(t.api, tenant);
    await subscribe(t.api, tenant, plan.id);
    await moveClock('2030-08-01T00:00:01Z');
    await until(tenant, (x) => x.cyclesBilled === 2);
    await moveClock('2030-09-01T00:00:01Z');
    const s = await until(tenant, (x) => x.status === 'expired');
    expect(s.endedReason).toBe('term_completed');
    expect(s.endedAt.slice(0, 10)).toBe('2030-09-01');
    await moveClock('2030-11-01T00:00:01Z');
    expect((await invoices(tenant)).map((i: any) => [i.billingReason, i.totalAmount, i.status])).toEqual([
      ['subscription_create', 500, 'paid'],
      ['subscription_cycle', 500, 'paid'],
    ]);
  });

  it('catches up period by period after a long jump, billing each once; ends a cancel at period end; applies a scheduled change', async () => {
    await moveClock('2031-01-01T00:00:00Z');
    const small = await createPlan(t.api, adminToken, { name: 'Small', priceAmount: 700 });
    const big = await createPlan(t.api, adminToken, { name: 'Big', priceAmount: 900 });
    const jumper = await createTenantWithAdmin(t.api);
    await addCard(t.api, jumper);
    await subscribe(t.api, jumper, big.id);
    expect(
      (await t.api.post('/v1/subscription/change', { planId: small.id }, as(jumper))).body.subscription.scheduledChange.plan.id,
    ).toBe(small.id);
    const leaver = await createTenantWithAdmin(t.api);
    await addCard(t.api, leaver);
    await subscribe(t.api, leaver, big.id);
    await t.api.post('/v1/subscription/cancel', { atPeriodEnd: true }, as(leaver));

    await moveClock('2031-04-15T00:00:00Z');
    const s = await until(jumper, (x) => x.cyclesBilled === 4);
    expect(s.currentPeriodEnd.slice(0, 10)).toBe('2031-05-01');
    expect(s.plan.id).toBe(small.id);
    expect((await invoices(jumper)).map((i: any) => [i.periodStart.slice(0, 10), i.totalAmount])).toEqual([
      ['2031-01-01', 900],
      ['2031-02-01', 700],
      ['2031-03-01', 700],
      ['2031-04-01', 700],
    ]);
    const ended = await until(leaver, (x) => x.status === 'cancelled');
    expect(ended).toMatchObject({ endedReason: 'cancelled_at_period_end' });
    expect(ended.endedAt.slice(0, 10)).toBe('2031-02-01');
    expect(await invoices(leaver)).toHaveLength(1);
    // Months of renewals for others later, the expired subscription was billed nothing more.
    expect(await invoices(expired)).toHaveLength(4);
  });
});
