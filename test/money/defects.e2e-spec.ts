import { eventually, ownerQuery } from '../support/app.js';
import {
  addCard,
  CARDS,
  createPlan,
  createTenantWithAdmin,
  expectProblem,
  subscribe,
  type TenantWithAdmin,
} from '../support/factories.js';
import { as, DAY, HOUR, MINUTE, type MoneyApp, plus, settle, startMoneyApp } from './support.js';

/**
 * Issue 9: money moved wrongly by the orchestration around subscriptions (see the issue's
 * decisions). Every scenario runs on the application clock with the worker; each starts in its own
 * year so the scenarios do not depend on each other.
 */
describe('issue 9: money orchestration defects (clock-driven, with the worker)', () => {
  let m: MoneyApp;

  beforeAll(async () => {
    m = await startMoneyApp();
  });
  afterAll(() => m.t.close());

  const api = () => m.t.api;
  const plan = (name: string, priceAmount: number, extra: Record<string, unknown> = {}) =>
    createPlan(api(), m.adminToken, { name, priceAmount, ...extra });
  const invoices = async (tenant: TenantWithAdmin): Promise<any[]> =>
    (await api().get('/v1/invoices?limit=100', as(tenant))).body.data.reverse();
  const invoice = async (tenant: TenantWithAdmin, id: string) => (await api().get(`/v1/invoices/${id}`, as(tenant))).body;
  const payments = async (tenant: TenantWithAdmin): Promise<any[]> =>
    (await api().get('/v1/payments?limit=100', as(tenant))).body.data.reverse();
  const paymentsOf = async (tenant: TenantWithAdmin, invoiceId: string) =>
    (await payments(tenant)).filter((p) => p.invoiceId === invoiceId);
  /** The tenant's newest subscription (live or ended). */
  const latest = async (tenant: TenantWithAdmin) => (await api().get('/v1/subscriptions', as(tenant))).body.data[0];
  const creditBalance = async (tenant: TenantWithAdmin) => {
    const res = await api().get('/v1/credit-balance?limit=100', as(tenant));
    expect(res.status).toBe(200);
    return res.body;
  };
  const usd = (balance: any): number => balance.balances.find((b: any) => b.currency === 'USD')?.amount ?? 0;

  async function payingTenant(planId: string, card: string = CARDS.ok) {
    const tenant = await createTenantWithAdmin(api());
    await addCard(api(), tenant, card);
    return { tenant, sub: await subscribe(api(), tenant, planId) };
  }

  /** Moves the clock a minute past the subscription's period end and waits for the worker; the subscription after. */
  async function endPeriod(tenant: TenantWithAdmin, s: any) {
    await m.clock.to(plus(s.currentPeriodEnd, MINUTE));
    await settle(m, tenant);
    return latest(tenant);
  }

  /** Round half away from zero of price × remaining / period, in whole seconds (API.md, Proration). */
  const prorated = (price: number, at: string, start: string, end: string) => {
    const remaining = BigInt(Math.max(0, Math.floor((Date.parse(end) - Date.parse(at)) / 1000)));
    const period = BigInt(Math.floor((Date.parse(end) - Date.parse(start)) / 1000));
    return Number((2n * BigInt(price) * remaining + period) / (2n * period));
  };

  it('1. cancelling a past-due subscription voids its open invoice: dunning never charges it, /pay is 409', async () => {
    await m.clock.to('2030-01-01T00:00:00Z');
    const p = await plan('Dunned', 2500);
    const { tenant, sub } = await payingTenant(p.id);
    await addCard(api(), tenant, CARDS.declined);

    // The renewal is declined: past due, its invoice open with a retry a day later.
    expect(await endPeriod(tenant, sub)).toMatchObject({ id: sub.id, status: 'past_due' });
    const second = (await invoices(tenant))[1];
    expect(second).toMatchObject({ billingReason: 'subscription_cycle', status: 'open', totalAmount: 2500 });
    const failedAt = plus(second.nextAttemptAt, -DAY);

    const cancelled = await api().post('/v1/subscription/cancel', { atPeriodEnd: false }, as(tenant));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: sub.id, status: 'cancelled', endedReason: 'cancelled' });

    // A good card arrives, then the whole retry schedule (1, 3, 7 days) passes.
    await addCard(api(), tenant, CARDS.ok);
    for (const days of [1, 3, 7, 8]) {
      await m.clock.to(plus(failedAt, days * DAY + MINUTE));
      // Until no invoice of the tenant has a retry due (what a worker that still collects it does);
      // if one is left due, the assertions below say so.
      await eventually(async () => {
        const now = await m.clock.now();
        const [row] = await ownerQuery(
          m.t,
          `select count(*)::int as due from invoices where tenant_id = $1 and status = 'open' and next_attempt_at <= $2`,
          [tenant.tenantId, now],
        );
        return row.due === 0;
      }, 5_000).catch(() => undefined);
    }

    expect((await paymentsOf(tenant, second.id)).filter((p) => p.status === 'succeeded')).toEqual([]);
    expect(await invoice(tenant, second.id)).toMatchObject({ status: 'void', nextAttemptAt: null, paidAt: null });
    expect(await latest(tenant)).toMatchObject({ id: sub.id, status: 'cancelled', endedReason: 'cancelled' });
    expectProblem(await api().post(`/v1/invoices/${second.id}/pay`, {}, as(tenant)), 409, 'invalid_transition');
    // Only the declined renewal attempt was ever made on it.
    expect((await paymentsOf(tenant, second.id)).map((p) => [p.attempt, p.status, p.failureCode])).toEqual([
      [1, 'failed', 'card_declined'],
    ]);
  });

  it('2. credit used by a failed first charge comes back with the void invoice and pays the next subscription', async () => {
    await m.clock.to('2031-01-01T00:00:00Z');
    const a = await plan('A', 1000);
    const free = await plan('F', 0);
    const b = await plan('B', 2500);
    const { tenant } = await payingTenant(a.id);
    await m.clock.by(10 * DAY);

    // Down to the free plan now: the unused part of A becomes credit.
    const down = await api().post('/v1/subscription/change', { planId: free.id, timing: 'now' }, as(tenant));
    expect(down.status).toBe(200);
    const downInvoice = await invoice(tenant, down.body.invoice.id);
    const credit = -downInvoice.lines.find((l: any) => l.kind === 'proration_credit').amount;
    expect(credit).toBeGreaterThan(600);
    expect(downInvoice.lines.find((l: any) => l.kind === 'credit_to_balance')).toMatchObject({ amount: credit });

    expect((await api().post('/v1/subscription/cancel', { atPeriodEnd: false }, as(tenant))).status).toBe(200);
    await addCard(api(), tenant, CARDS.declined);
    const failed = await api().post('/v1/subscription', { planId: b.id }, as(tenant));
    expectProblem(failed, 402, 'payment_failed');
    const failedSub = await latest(tenant);
    const voided = (await invoices(tenant)).at(-1);
    expect(voided).toMatchObject({ subscriptionId: failedSub.id, status: 'void', creditAppliedAmount: credit });

    await addCard(api(), tenant, CARDS.ok);
    const second = await api().post('/v1/subscription', { planId: b.id }, as(tenant));
    expect(second.status).toBe(201);
    const first = (await invoices(tenant)).at(-1);
    expect(first).toMatchObject({ subscriptionId: second.body.id, status: 'paid', subtotalAmount: 2500 });
    // The credit the failed attempt had used pays part of the new subscription's first invoice.
    expect(first).toMatchObject({ creditAppliedAmount: credit, totalAmount: 2500 - credit });
    expect((await paymentsOf(tenant, first.id)).map((p) => [p.status, p.amount])).toEqual([['succeeded', 2500 - credit]]);

    expect(failedSub).toMatchObject({ status: 'incomplete_expired', endedReason: 'initial_payment_failed' });
    expect(downInvoice.creditAddedAmount).toBe(credit);
    const balance = await creditBalance(tenant);
    expect(usd(balance)).toBe(0);
    expect(balance.data.reverse().map((e: any) => [e.reason, e.amount, e.balanceAfter, e.invoiceId, e.currency])).toEqual([
      ['proration_credit', credit, credit, downInvoice.id, 'USD'],
      ['applied_to_invoice', -credit, 0, voided.id, 'USD'],
      ['invoice_voided', credit, credit, voided.id, 'USD'],
      ['applied_to_invoice', -credit, 0, first.id, 'USD'],
    ]);
  });

  it('3. paying by hand does not use up the dunning schedule: retries stay 1, 3 and 7 days after the first automatic failure', async () => {
    await m.clock.to('2032-01-01T00:00:00Z');
    const p = await plan('Retried', 1000);
    const { tenant, sub } = await payingTenant(p.id);
    await addCard(api(), tenant, CARDS.declined);
    expect(await endPeriod(tenant, sub)).toMatchObject({ status: 'past_due' });
    const open = (await invoices(tenant))[1];
    expect(open).toMatchObject({ status: 'open', attemptCount: 1 });
    const failedAt = plus(open.nextAttemptAt, -DAY);
    const at = (days: number) => plus(failedAt, days * DAY).toISOString();

    for (let i = 0; i < 3; i++) {
      expectProblem(await api().post(`/v1/invoices/${open.id}/pay`, {}, as(tenant)), 402, 'payment_failed');
    }
    expect(await invoice(tenant, open.id)).toMatchObject({ status: 'open', nextAttemptAt: at(1), attemptCount: 4 });
    expect(await latest(tenant)).toMatchObject({ status: 'past_due' });
    expect((await invoice(tenant, open.id)).autoAttemptCount).toBe(1);

    // The schedule runs as if nobody had clicked: retry 1 at +1 day; each later retry 2, then 4
    // days after the previous one actually ran (so on time: +3 and +7 days).
    const lastAttemptAt = async () => (await paymentsOf(tenant, open.id)).at(-1).createdAt as string;
    await m.clock.to(plus(at(1), MINUTE));
    await settle(m, tenant);
    let inv = await invoice(tenant, open.id);
    expect(inv).toMatchObject({ status: 'open', attemptCount: 5, autoAttemptCount: 2 });
    expect(inv.nextAttemptAt).toBe(plus(await lastAttemptAt(), 2 * DAY).toISOString());
    await m.clock.to(plus(inv.nextAttemptAt, MINUTE));
    await settle(m, tenant);
    inv = await invoice(tenant, open.id);
    expect(inv).toMatchObject({ status: 'open', attemptCount: 6, autoAttemptCount: 3 });
    expect(inv.nextAttemptAt).toBe(plus(await lastAttemptAt(), 4 * DAY).toISOString());
    // Around +7 days from the first failure (a few minutes later: each retry ran a minute late).
    expect(Math.abs(new Date(inv.nextAttemptAt).getTime() - new Date(at(7)).getTime())).toBeLessThan(10 * MINUTE);
    await m.clock.to(plus(inv.nextAttemptAt, -HOUR));
    await settle(m, tenant);
    expect(await latest(tenant)).toMatchObject({ status: 'past_due' });

    // …and the last one ends it.
    await m.clock.to(plus(inv.nextAttemptAt, MINUTE));
    await settle(m, tenant);
    expect(await invoice(tenant, open.id)).toMatchObject({
      status: 'uncollectible',
      nextAttemptAt: null,
      attemptCount: 7,
      autoAttemptCount: 4,
    });
    expect(await latest(tenant)).toMatchObject({ status: 'expired', endedReason: 'unpaid' });
    expect((await paymentsOf(tenant, open.id)).map((x) => [x.attempt, x.status])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => [n, 'failed']),
    );
  });

  it('4. a fixed term counts the periods billed on its plan version: a scheduled change to a 2-cycle plan bills 2 periods', async () => {
    await m.clock.to('2033-01-01T00:00:00Z');
    const open = await plan('P', 500);
    const term = await plan('Q', 800, { durationCycles: 2 });
    const { tenant, sub } = await payingTenant(open.id);
    let s = sub;
    const cycles: number[] = [s.cyclesOnVersion];
    for (let i = 0; i < 3; i++) {
      s = await endPeriod(tenant, s);
      cycles.push(s.cyclesOnVersion);
    }
    expect([s.status, s.cyclesBilled]).toEqual(['active', 4]);
    const scheduled = await api().post('/v1/subscription/change', { planId: term.id, timing: 'period_end' }, as(tenant));
    expect(scheduled.status).toBe(200);
    expect(scheduled.body.subscription.scheduledChange.plan.id).toBe(term.id);

    s = await endPeriod(tenant, s);
    cycles.push(s.cyclesOnVersion);
    expect([s.status, s.plan.id, s.cyclesBilled]).toEqual(['active', term.id, 5]);
    s = await endPeriod(tenant, s);
    cycles.push(s.cyclesOnVersion);
    // Q's second full period is billed: the 4 periods on P do not count against Q's term.
    expect([s.status, s.endedReason, s.cyclesBilled]).toEqual(['active', null, 6]);
    const lastEnd = s.currentPeriodEnd;
    s = await endPeriod(tenant, s);
    expect(s).toMatchObject({ status: 'expired', endedReason: 'term_completed', endedAt: lastEnd });

    expect((await invoices(tenant)).map((i) => [i.billingReason, i.totalAmount, i.status])).toEqual([
      ['subscription_create', 500, 'paid'],
      ['subscription_cycle', 500, 'paid'],
      ['subscription_cycle', 500, 'paid'],
      ['subscription_cycle', 500, 'paid'],
      ['subscription_cycle', 800, 'paid'],
      ['subscription_cycle', 800, 'paid'],
    ]);
    expect(cycles).toEqual([1, 2, 3, 4, 1, 2]);
    expect(s.cyclesOnVersion).toBe(2);
  });

  it('4b. a prorated change now to a 2-cycle plan: the rest of the period is not a cycle, 2 full periods follow', async () => {
    await m.clock.to('2034-01-01T00:00:00Z');
    const open = await plan('P2', 500);
    const term = await plan('Q2', 800, { durationCycles: 2 });
    const { tenant } = await payingTenant(open.id);
    await m.clock.by(10 * DAY);
    const change = await api().post('/v1/subscription/change', { planId: term.id, timing: 'now' }, as(tenant));
    expect(change.status).toBe(200);
    await settle(m, tenant);
    expect(await invoice(tenant, change.body.invoice.id)).toMatchObject({ status: 'paid', billingReason: 'subscription_update' });
    let s = await latest(tenant);
    const cycles: number[] = [s.cyclesOnVersion];

    s = await endPeriod(tenant, s);
    cycles.push(s.cyclesOnVersion);
    expect([s.status, s.plan.id]).toEqual(['active', term.id]);
    s = await endPeriod(tenant, s);
    cycles.push(s.cyclesOnVersion);
    // The second full period on Q2 is billed.
    expect([s.status, s.endedReason]).toEqual(['active', null]);
    s = await endPeriod(tenant, s);
    expect(s).toMatchObject({ status: 'expired', endedReason: 'term_completed' });

    expect((await invoices(tenant)).filter((i) => i.billingReason === 'subscription_cycle').map((i) => i.totalAmount)).toEqual([
      800, 800,
    ]);
    expect(cycles).toEqual([0, 1, 2]);
  });

  it('5. prorationDate may precede a cancel scheduling and a resume, not the subscribe nor the last change now', async () => {
    await m.clock.to('2035-01-01T00:00:00Z');
    const cheap = await plan('Cheap', 1000);
    const dear = await plan('Dear', 3000);
    const { tenant, sub } = await payingTenant(cheap.id);
    const subscribedAt = Date.parse(sub.currentPeriodStart);
    const after = (minutes: number) => plus(subscribedAt, minutes * MINUTE).toISOString();
    await m.clock.to(after(10));
    expect((await api().post('/v1/subscription/cancel', { atPeriodEnd: true }, as(tenant))).status).toBe(200);
    expect((await api().post('/v1/subscription/resume', {}, as(tenant))).status).toBe(200);

    const change = (planId: string, prorationDate: string) =>
      api().post('/v1/subscription/change', { planId, timing: 'now', prorationDate }, as(tenant));
    expectProblem(await change(dear.id, after(-1)), 400, 'validation_failed');
    const up = await change(dear.id, after(5));
    expect(up.status).toBe(200);
    const billed = await invoice(tenant, up.body.invoice.id);
    expect(billed.lines.slice(0, 2).map((l: any) => [l.kind, l.periodStart])).toEqual([
      ['proration_credit', after(5)],
      ['proration_charge', after(5)],
    ]);
    await settle(m, tenant);
    expect(await invoice(tenant, up.body.invoice.id)).toMatchObject({ status: 'paid' });
    // Before the last change now: refused.
    expectProblem(await change(cheap.id, after(2)), 400, 'validation_failed');
    expect((await latest(tenant)).plan.id).toBe(dear.id);
  });

  it('6. a failed first charge ends the subscription as incomplete_expired (initial_payment_failed), its invoice void', async () => {
    await m.clock.to('2036-01-01T00:00:00Z');
    const p = await plan('Never started', 1500);
    const tenant = await createTenantWithAdmin(api());
    await addCard(api(), tenant, CARDS.insufficient);
    expectProblem(await api().post('/v1/subscription', { planId: p.id }, as(tenant)), 402, 'payment_failed');
    expectProblem(await api().get('/v1/subscription', as(tenant)), 404, 'not_found');
    const s = await latest(tenant);
    expect(s).toMatchObject({ status: 'incomplete_expired', endedReason: 'initial_payment_failed', cyclesBilled: 0 });
    expect(await invoices(tenant)).toEqual([
      expect.objectContaining({ subscriptionId: s.id, status: 'void', totalAmount: 1500 }),
    ]);
  });

  it('7. an interval change bills the new period: the invoice header runs from effectiveAt to the new period end', async () => {
    await m.clock.to('2037-01-01T00:00:00Z');
    const monthly = await plan('Monthly', 1000);
    const yearly = await plan('Yearly', 10000, { interval: 'year' });
    const addMonths = (iso: string, months: number) => {
      const d = new Date(iso);
      d.setUTCMonth(d.getUTCMonth() + months);
      return d.toISOString();
    };

    const up = await payingTenant(monthly.id);
    const down = await payingTenant(yearly.id);
    await m.clock.by(10 * DAY);

    const toYear = await api().post('/v1/subscription/change', { planId: yearly.id, timing: 'now' }, as(up.tenant));
    expect(toYear.status).toBe(200);
    const effectiveUp = toYear.body.subscription.currentPeriodStart;
    expect(Date.parse(effectiveUp)).toBeGreaterThan(Date.parse(up.sub.currentPeriodStart));
    expect(toYear.body.subscription.currentPeriodEnd).toBe(addMonths(effectiveUp, 12));
    expect(await invoice(up.tenant, toYear.body.invoice.id)).toMatchObject({
      periodStart: effectiveUp,
      periodEnd: addMonths(effectiveUp, 12),
    });

    const toMonth = await api().post('/v1/subscription/change', { planId: monthly.id, timing: 'now' }, as(down.tenant));
    expect(toMonth.status).toBe(200);
    const effectiveDown = toMonth.body.subscription.currentPeriodStart;
    expect(toMonth.body.subscription.currentPeriodEnd).toBe(addMonths(effectiveDown, 1));
    const header = await invoice(down.tenant, toMonth.body.invoice.id);
    // Not the old year's end, which only the credit line reaches.
    expect({ periodStart: header.periodStart, periodEnd: header.periodEnd }).toEqual({
      periodStart: effectiveDown,
      periodEnd: addMonths(effectiveDown, 1),
    });
    expect(header.lines.find((l: any) => l.kind === 'proration_credit').periodEnd).toBe(down.sub.currentPeriodEnd);
  });

  it('8. cancel now with prorate: true credits the unused paid time (cancellation_credit); default and at-period-end do not', async () => {
    await m.clock.to('2038-01-01T00:00:00Z');
    const p = await plan('Refundable', 3000);
    const trial = await plan('Trial', 3000, { trialDays: 14 });

    const { tenant, sub } = await payingTenant(p.id);
    await m.clock.by(10 * DAY + 7 * 3600_000);
    expectProblem(
      await api().post('/v1/subscription/cancel', { atPeriodEnd: true, prorate: true }, as(tenant)),
      400,
      'validation_failed',
    );
    expectProblem(await api().post('/v1/subscription/cancel', { prorate: true }, as(tenant)), 400, 'validation_failed');
    const cancelled = await api().post('/v1/subscription/cancel', { atPeriodEnd: false, prorate: true }, as(tenant));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', endedReason: 'cancelled' });
    const expected = prorated(3000, cancelled.body.endedAt, sub.currentPeriodStart, sub.currentPeriodEnd);
    expect(expected).toBeGreaterThan(1900);
    const balance = await creditBalance(tenant);
    expect(balance.data).toEqual([expect.objectContaining({ reason: 'cancellation_credit', currency: 'USD' })]);
    // The server's cancellation instant may fall in the neighbouring whole second.
    expect(Math.abs(balance.data[0].amount - expected)).toBeLessThanOrEqual(1);
    expect(usd(balance)).toBe(balance.data[0].amount);
    // The credit pays the next subscription's first invoice.
    await subscribe(api(), tenant, p.id);
    expect((await invoices(tenant)).at(-1)).toMatchObject({ creditAppliedAmount: balance.data[0].amount });

    // Without prorate (the default) nothing is credited.
    const plain = await payingTenant(p.id);
    expect((await api().post('/v1/subscription/cancel', { atPeriodEnd: false }, as(plain.tenant))).status).toBe(200);
    expect(await creditBalance(plain.tenant)).toMatchObject({ data: [] });
    expect(usd(await creditBalance(plain.tenant))).toBe(0);

    // A trial was not paid for: nothing to credit.
    const trialing = await createTenantWithAdmin(api());
    expect(await subscribe(api(), trialing, trial.id)).toMatchObject({ status: 'trialing' });
    expect((await api().post('/v1/subscription/cancel', { atPeriodEnd: false, prorate: true }, as(trialing))).status).toBe(200);
    expect(await creditBalance(trialing)).toMatchObject({ data: [] });
  });

  it('9. the card chosen at subscribe is the one renewals charge; null follows the default card again', async () => {
    await m.clock.to('2039-01-01T00:00:00Z');
    const p = await plan('Card-bound', 1200);
    const tenant = await createTenantWithAdmin(api());
    const chosen = await addCard(api(), tenant, CARDS.ok);
    const newest = await addCard(api(), tenant, CARDS.declined);
    expect(newest.isDefault).toBe(true);
    const created = await api().post('/v1/subscription', { planId: p.id, paymentMethodId: chosen.id }, as(tenant));
    expect(created.status).toBe(201);
    expect((await payments(tenant)).map((x) => [x.paymentMethodId, x.status])).toEqual([[chosen.id, 'succeeded']]);

    let s = await endPeriod(tenant, created.body);
    const renewal = (await invoices(tenant))[1];
    expect((await paymentsOf(tenant, renewal.id)).map((x) => [x.paymentMethodId, x.status])).toEqual([[chosen.id, 'succeeded']]);
    expect(s).toMatchObject({ status: 'active', cyclesBilled: 2 });
    expect(s).toMatchObject({ paymentMethodId: chosen.id, billingAnchor: created.body.currentPeriodStart });
    expect(created.body).toMatchObject({ paymentMethodId: chosen.id, billingAnchor: created.body.currentPeriodStart });

    const reset = await api().post('/v1/subscription/payment-method', { paymentMethodId: null }, as(tenant));
    expect(reset.status).toBe(200);
    expect((await api().get('/v1/subscription', as(tenant))).body.paymentMethodId).toBeNull();
    s = await endPeriod(tenant, s);
    expect(s.status).toBe('past_due');
    const third = (await invoices(tenant))[2];
    expect((await paymentsOf(tenant, third.id)).map((x) => [x.paymentMethodId, x.status])).toEqual([[newest.id, 'failed']]);
  });
});
