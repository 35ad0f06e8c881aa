import type { PlanDto } from '../../sdk/index.js';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  addMember,
  CARDS,
  createPlan,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/**
 * Invoices, payments and tenant credit (API.md, Billing and Subscription): the first period is
 * charged synchronously, plan changes are invoiced now and collected by the worker, a failed
 * charge is kept as a fact, and POST /v1/invoices/:id/pay retries an open invoice.
 */
describe('invoices and payments', () => {
  let t: TestApp;
  let adminToken: string;
  let growth: PlanDto;
  let starter: PlanDto;
  let pro: PlanDto;
  let business: PlanDto;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    adminToken = (await createPlatformAdmin(t)).token;
    growth = await createPlan(t.api, adminToken, { name: 'Growth', priceAmount: 1500 });
    starter = await createPlan(t.api, adminToken, { name: 'Starter', priceAmount: 1000 });
    pro = await createPlan(t.api, adminToken, { name: 'Pro', priceAmount: 3000 });
    business = await createPlan(t.api, adminToken, { name: 'Business', priceAmount: 5000 });
  });
  afterAll(() => t.close());

  const invoices = async (tenant: TenantWithAdmin) => {
    const res = await t.api.get('/v1/invoices?limit=100', as(tenant));
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    return res.body.data as any[];
  };
  const payments = async (tenant: TenantWithAdmin) => {
    const res = await t.api.get('/v1/payments?limit=100', as(tenant));
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    return res.body.data as any[];
  };
  const rowsOf = async (tenantId: string) => ({
    subscriptions: await ownerQuery(t, 'select status from subscriptions where tenant_id = $1', [tenantId]),
    invoices: await ownerQuery(t, 'select number, status from invoices where tenant_id = $1', [tenantId]),
    lines: await ownerQuery(t, 'select id from invoice_lines where tenant_id = $1', [tenantId]),
    payments: await ownerQuery(t, 'select status, failure_code from payments where tenant_id = $1', [tenantId]),
    credit: await ownerQuery(t, 'select amount from credit_ledger where tenant_id = $1', [tenantId]),
    counters: await ownerQuery(t, 'select name, value from tenant_counters where tenant_id = $1', [tenantId]),
  });
  const creditBalance = async (tenantId: string) => {
    const [{ balance }] = await ownerQuery(
      t,
      'select coalesce(sum(amount), 0)::int as balance from credit_ledger where tenant_id = $1',
      [tenantId],
    );
    return balance as number;
  };
  /** The parts of a prorated line that do not depend on the exact second it was computed at. */
  const stable = (line: any) => ({
    kind: line.kind,
    description: line.description,
    amount: line.amount,
    periodEnd: line.periodEnd,
  });

  describe('subscribing to a paid plan', () => {
    it('with a good card: invoice INV-000001 paid, one subscription line, payment attempt 1 succeeded', async () => {
      const tenant = await createTenantWithAdmin(t.api, 'Paying Co');
      const card = await addCard(t.api, tenant, CARDS.ok);
      const sub = await subscribe(t.api, tenant, growth.id);
      expect(sub).toMatchObject({
        status: 'active',
        plan: { id: growth.id, version: 1 },
        priceAmount: 1500,
        currency: 'USD',
        cyclesBilled: 1,
      });

      const [invoice, ...others] = await invoices(tenant);
      expect(others).toEqual([]);
      expect(invoice).toEqual({
        id: expect.any(String),
        number: 'INV-000001',
        status: 'paid',
        billingReason: 'subscription_create',
        subscriptionId: sub.id,
        currency: 'USD',
        subtotalAmount: 1500,
        creditAppliedAmount: 0,
        creditAddedAmount: 0,
        totalAmount: 1500,
        amountDue: 1500,
        amountPaid: 1500,
        amountRemaining: 0,
        lines: [
          {
            kind: 'subscription',
            description: expect.stringContaining('Growth'),
            amount: 1500,
            periodStart: sub.currentPeriodStart,
            periodEnd: sub.currentPeriodEnd,
            calculation: expect.any(Object),
          },
        ],
        periodStart: sub.currentPeriodStart,
        periodEnd: sub.currentPeriodEnd,
        attemptCount: 1,
        autoAttemptCount: 1,
        nextAttemptAt: null,
        paidAt: expect.any(String),
        createdAt: expect.any(String),
      });
      // One invoice by id is the same document; a tenant_user may read invoices.
      expect(await t.api.get(`/v1/invoices/${invoice.id}`, as(tenant))).toMatchObject({ status: 200, body: invoice });
      const member = await addMember(t.api, tenant, 'tenant_user');
      expect(await t.api.get(`/v1/invoices/${invoice.id}`, { token: member.token, tenant: tenant.tenantId })).toMatchObject({
        status: 200,
        body: invoice,
      });

      expect(await payments(tenant)).toEqual([
        {
          id: expect.any(String),
          invoiceId: invoice.id,
          invoiceNumber: 'INV-000001',
          amount: 1500,
          currency: 'USD',
          status: 'succeeded',
          failureCode: null,
          paymentMethodId: card.id,
          attempt: 1,
          createdAt: expect.any(String),
        },
      ]);
    });

    it('numbers invoices per tenant: two tenants both start at INV-000001', async () => {
      const a = await createTenantWithAdmin(t.api, 'Numbering A');
      const b = await createTenantWithAdmin(t.api, 'Numbering B');
      await addCard(t.api, a);
      await addCard(t.api, b);
      await subscribe(t.api, a, growth.id);
      await subscribe(t.api, b, starter.id);
      expect((await invoices(a)).map((i) => [i.number, i.totalAmount])).toEqual([['INV-000001', 1500]]);
      expect((await invoices(b)).map((i) => [i.number, i.totalAmount])).toEqual([['INV-000001', 1000]]);
      // A's next invoice is INV-000002, whatever B did in between.
      const change = await t.api.post('/v1/subscription/change', { planId: starter.id, timing: 'now' }, as(a));
      expect(change.status).toBe(200);
      expect(change.body.invoice).toMatchObject({ number: 'INV-000002' });
      expect((await invoices(a)).map((i) => i.number)).toEqual(['INV-000002', 'INV-000001']);
      expect((await invoices(b)).map((i) => i.number)).toEqual(['INV-000001']);
    });

    it.each([
      ['a declined', CARDS.declined, 'card_declined'],
      ['an insufficient-funds', CARDS.insufficient, 'insufficient_funds'],
    ])(
      'with %s card: 402 payment_failed, nothing live, the void invoice and the failed attempt kept',
      async (_label, number, failureCode) => {
        const tenant = await createTenantWithAdmin(t.api);
        const card = await addCard(t.api, tenant, number);
        const key = { ...as(tenant), idempotencyKey: `subscribe-${failureCode}` };
        const res = await t.api.post('/v1/subscription', { planId: growth.id }, key);
        expectProblem(res, 402, 'payment_failed');
        expect(res.body.failureCode).toBe(failureCode);
        // A replay answers the same 402 and charges nothing more.
        const replay = await t.api.post('/v1/subscription', { planId: growth.id }, key);
        expectProblem(replay, 402, 'payment_failed');
        expect(replay.body.failureCode).toBe(failureCode);
        expect(replay.headers.get('idempotent-replayed')).toBe('true');

        expectProblem(await t.api.get('/v1/subscription', as(tenant)), 404, 'not_found');
        const history = await t.api.get('/v1/subscriptions', as(tenant));
        expect(history.status).toBe(200);
        expect(history.body.data).toEqual([
          expect.objectContaining({
            status: 'incomplete_expired',
            plan: expect.objectContaining({ id: growth.id }),
            endedReason: 'initial_payment_failed',
            cyclesBilled: 0,
          }),
        ]);
        const [invoice, ...more] = await invoices(tenant);
        expect(more).toEqual([]);
        expect(invoice).toMatchObject({
          number: 'INV-000001',
          status: 'void',
          totalAmount: 1500,
          subscriptionId: history.body.data[0].id,
          attemptCount: 1,
          paidAt: null,
          lines: [expect.objectContaining({ kind: 'subscription', amount: 1500 })],
        });
        expect(await payments(tenant)).toEqual([
          expect.objectContaining({
            invoiceId: invoice.id,
            amount: 1500,
            status: 'failed',
            failureCode,
            paymentMethodId: card.id,
            attempt: 1,
          }),
        ]);
        expect(
          await ownerQuery(t, 'select status, failure_code, attempt from payments where tenant_id = $1', [tenant.tenantId]),
        ).toEqual([{ status: 'failed', failure_code: failureCode, attempt: 1 }]);
        // A void invoice cannot be paid.
        expectProblem(await t.api.post(`/v1/invoices/${invoice.id}/pay`, {}, as(tenant)), 409, 'invalid_transition');

        // Nothing live was left behind: a good card subscribes at once, with the next number.
        await addCard(t.api, tenant, CARDS.ok);
        expect(await subscribe(t.api, tenant, growth.id)).toMatchObject({ status: 'active' });
        expect((await invoices(tenant)).map((i) => [i.number, i.status])).toEqual([
          ['INV-000002', 'paid'],
          ['INV-000001', 'void'],
        ]);
      },
    );

    it('with no card: 402 payment_failed and nothing written', async () => {
      const tenant = await createTenantWithAdmin(t.api);
      const before = await rowsOf(tenant.tenantId);
      const res = await t.api.post('/v1/subscription', { planId: growth.id }, as(tenant));
      expectProblem(res, 402, 'payment_failed');
      expect(res.body.failureCode).toBe('no_payment_method');
      expect(await rowsOf(tenant.tenantId)).toEqual(before);
      expect(before).toEqual({ subscriptions: [], invoices: [], lines: [], payments: [], credit: [], counters: [] });
      expectProblem(await t.api.get('/v1/subscription', as(tenant)), 404, 'not_found');
      expect((await t.api.get('/v1/subscriptions', as(tenant))).body).toEqual({ data: [], nextCursor: null });
      expect(await invoices(tenant)).toEqual([]);
      expect(await payments(tenant)).toEqual([]);
    });

    it("with another card id than the tenant's own: 404, nothing written", async () => {
      const tenant = await createTenantWithAdmin(t.api);
      await addCard(t.api, tenant);
      const res = await t.api.post(
        '/v1/subscription',
        { planId: growth.id, paymentMethodId: '00000000-0000-4000-8000-000000000000' },
        as(tenant),
      );
      expectProblem(res, 404, 'not_found');
      expect((await rowsOf(tenant.tenantId)).subscriptions).toEqual([]);
    });
  });

  it('a free plan needs no card: active, a zero invoice settled without any payment', async () => {
    const free = await createPlan(t.api, adminToken, { name: 'Free', priceAmount: 0 });
    const tenant = await createTenantWithAdmin(t.api);
    const sub = await subscribe(t.api, tenant, free.id);
    expect(sub).toMatchObject({ status: 'active', priceAmount: 0, trialEnd: null });
    expect((await invoices(tenant)).map((i) => [i.number, i.status, i.totalAmount])).toEqual([['INV-000001', 'paid', 0]]);
    expect(await payments(tenant)).toEqual([]);
  });

  it('a trial plan needs no card: trialing, no invoice, no payment', async () => {
    const trial = await createPlan(t.api, adminToken, { name: 'Trial', priceAmount: 1500, trialDays: 14 });
    const tenant = await createTenantWithAdmin(t.api);
    const sub = await subscribe(t.api, tenant, trial.id);
    expect(sub).toMatchObject({ status: 'trialing', cyclesBilled: 0, currentPeriodEnd: sub.trialEnd });
    expect(Date.parse(sub.trialEnd!) - Date.parse(sub.currentPeriodStart)).toBe(14 * 86_400_000);
    expect(await invoices(tenant)).toEqual([]);
    expect(await payments(tenant)).toEqual([]);
  });

  describe('POST /v1/invoices/:id/pay', () => {
    it('refuses a paid invoice (409 invalid_transition), an unknown id (404) and a malformed one (400)', async () => {
      const tenant = await createTenantWithAdmin(t.api);
      await addCard(t.api, tenant);
      await subscribe(t.api, tenant, growth.id);
      const [invoice] = await invoices(tenant);
      expectProblem(await t.api.post(`/v1/invoices/${invoice.id}/pay`, {}, as(tenant)), 409, 'invalid_transition');
      expectProblem(await t.api.post('/v1/invoices/00000000-0000-4000-8000-000000000000/pay', {}, as(tenant)), 404, 'not_found');
      expectProblem(await t.api.get('/v1/invoices/00000000-0000-4000-8000-000000000000', as(tenant)), 404, 'not_found');
      expectProblem(await t.api.post('/v1/invoices/nope/pay', {}, as(tenant)), 400, 'validation_failed');
      // A tenant_user may not pay.
      const member = await addMember(t.api, tenant, 'tenant_user');
      expectProblem(
        await t.api.post(`/v1/invoices/${invoice.id}/pay`, {}, { token: member.token, tenant: tenant.tenantId }),
        403,
        'forbidden',
      );
      expect(await payments(tenant)).toHaveLength(1);
      expect((await t.api.get(`/v1/invoices/${invoice.id}`, as(tenant))).body).toEqual(invoice);
    });

    it('retries an open invoice: the worker fails on a declined card (open, past_due), /pay with a good card recovers it', async () => {
      const tenant = await createTenantWithAdmin(t.api);
      await addCard(t.api, tenant, CARDS.ok);
      await subscribe(t.api, tenant, starter.id);
      const declined = await addCard(t.api, tenant, CARDS.declined);
      expect(declined.isDefault).toBe(true);

      const change = await t.api.post('/v1/subscription/change', { planId: pro.id, timing: 'now' }, as(tenant));
      expect(change.status).toBe(200);
      expect(change.body.invoice).toMatchObject({
        id: expect.any(String),
        number: 'INV-000002',
        status: 'open',
        totalAmount: 2000,
        currency: 'USD',
      });
      const invoiceId = change.body.invoice.id;

      // The worker's charge fails: the invoice stays open and the subscription is past due.
      const sub = await eventually(async () => {
        const res = await t.api.get('/v1/subscription', as(tenant));
        return res.body.status === 'past_due' && res.body;
      });
      expect(sub.plan.id).toBe(pro.id);
      expect((await t.api.get(`/v1/invoices/${invoiceId}`, as(tenant))).body).toMatchObject({
        status: 'open',
        totalAmount: 2000,
        attemptCount: 1,
        paidAt: null,
      });
      const failed = (await payments(tenant)).filter((p) => p.invoiceId === invoiceId);
      expect(failed).toEqual([
        expect.objectContaining({
          status: 'failed',
          failureCode: 'card_declined',
          attempt: 1,
          amount: 2000,
          paymentMethodId: declined.id,
        }),
      ]);
      // A past-due subscription cannot change plan until the invoice is paid.
      expectProblem(
        await t.api.post('/v1/subscription/change', { planId: business.id, timing: 'now' }, as(tenant)),
        409,
        'invalid_transition',
      );

      // Paying by hand with the declined card still the default: 402, the attempt is recorded.
      const key = { ...as(tenant), idempotencyKey: 'pay-declined' };
      const first = await t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, key);
      expectProblem(first, 402, 'payment_failed');
      expect(first.body.failureCode).toBe('card_declined');
      const afterFirst = await payments(tenant);
      expect(afterFirst.filter((p) => p.invoiceId === invoiceId).map((p) => [p.attempt, p.status, p.failureCode])).toEqual([
        [2, 'failed', 'card_declined'],
        [1, 'failed', 'card_declined'],
      ]);

      // The replay answers the same 402 without charging again.
      const replay = await t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, key);
      expectProblem(replay, 402, 'payment_failed');
      expect(replay.body.failureCode).toBe('card_declined');
      expect(replay.body.detail).toBe(first.body.detail);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await payments(tenant)).toEqual(afterFirst);
      expect((await t.api.get(`/v1/invoices/${invoiceId}`, as(tenant))).body).toMatchObject({ status: 'open', attemptCount: 2 });

      // A good card (now the default) pays it: 200, paid, and the subscription is active again.
      const good = await addCard(t.api, tenant, CARDS.ok);
      const paid = await t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, { ...as(tenant), idempotencyKey: 'pay-good' });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({
        id: invoiceId,
        number: 'INV-000002',
        status: 'paid',
        totalAmount: 2000,
        attemptCount: 3,
        paidAt: expect.any(String),
      });
      expect(await t.api.get('/v1/subscription', as(tenant))).toMatchObject({
        status: 200,
        body: { status: 'active', plan: { id: pro.id } },
      });
      expect((await payments(tenant))[0]).toMatchObject({
        invoiceId,
        attempt: 3,
        status: 'succeeded',
        failureCode: null,
        paymentMethodId: good.id,
        amount: 2000,
      });

      // The same key replays the 200; a fresh attempt is refused now that it is paid.
      const again = await t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, { ...as(tenant), idempotencyKey: 'pay-good' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(paid.body);
      expectProblem(await t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, as(tenant)), 409, 'invalid_transition');
      expect((await payments(tenant)).filter((p) => p.invoiceId === invoiceId)).toHaveLength(3);
    });

    it('charges an open invoice once when /pay is called concurrently: one 200, the rest 409', async () => {
      const tenant = await createTenantWithAdmin(t.api);
      await addCard(t.api, tenant, CARDS.ok);
      await subscribe(t.api, tenant, starter.id);
      await addCard(t.api, tenant, CARDS.insufficient);
      const change = await t.api.post('/v1/subscription/change', { planId: pro.id, timing: 'now' }, as(tenant));
      const invoiceId = change.body.invoice.id;
      await eventually(async () => (await t.api.get('/v1/subscription', as(tenant))).body.status === 'past_due');
      expect((await payments(tenant))[0]).toMatchObject({ invoiceId, status: 'failed', failureCode: 'insufficient_funds' });
      await addCard(t.api, tenant, CARDS.ok);

      const answers = await Promise.all([1, 2, 3, 4].map(() => t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, as(tenant))));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
      for (const r of answers.filter((a) => a.status === 409)) expectProblem(r, 409, 'invalid_transition');
      expect((await payments(tenant)).filter((p) => p.invoiceId === invoiceId).map((p) => [p.attempt, p.status])).toEqual([
        [2, 'succeeded'],
        [1, 'failed'],
      ]);
      expect((await t.api.get('/v1/subscription', as(tenant))).body.status).toBe('active');
    });
  });

  describe('tenant credit', () => {
    it('a net-negative change becomes credit; later changes use it (fully, then partly with the rest collected by the worker)', async () => {
      const tenant = await createTenantWithAdmin(t.api);
      await addCard(t.api, tenant, CARDS.ok);
      const sub = await subscribe(t.api, tenant, pro.id);

      // Preview the downgrade now: −3000 unused Pro, +1000 Starter, 2000 to the balance.
      const preview = await t.api.post('/v1/subscription/preview', { planId: starter.id, timing: 'now' }, as(tenant));
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({
        plan: { id: starter.id },
        timing: 'now',
        currency: 'USD',
        subtotalAmount: -2000,
        creditAppliedAmount: 0,
        totalAmount: 0,
        creditAddedAmount: 2000,
        amountDue: 0,
      });
      expect(preview.body.lines.map((l: any) => [l.kind, l.amount])).toEqual([
        ['proration_credit', -3000],
        ['proration_charge', 1000],
      ]);

      const down = await t.api.post('/v1/subscription/change', { planId: starter.id, timing: 'now' }, as(tenant));
      expect(down.status).toBe(200);
      expect(down.body.subscription).toMatchObject({
        status: 'active',
        plan: { id: starter.id },
        currentPeriodEnd: sub.currentPeriodEnd,
      });
      expect(down.body.invoice).toMatchObject({
        id: expect.any(String),
        number: 'INV-000002',
        status: 'paid',
        totalAmount: 0,
        currency: 'USD',
      });
      const downInvoice = (await t.api.get(`/v1/invoices/${down.body.invoice.id}`, as(tenant))).body;
      expect(downInvoice).toMatchObject({
        status: 'paid',
        billingReason: 'subscription_update',
        subtotalAmount: -2000,
        creditAppliedAmount: 0,
        totalAmount: 0,
        attemptCount: 0,
      });
      expect(downInvoice.lines.map((l: any) => [l.kind, l.amount])).toEqual([
        ['proration_credit', -3000],
        ['proration_charge', 1000],
        ['credit_to_balance', 2000],
      ]);
      // The change billed the lines the preview showed (made a moment later, so only the
      // instant-dependent parts of the calculation may differ).
      expect(downInvoice.lines.slice(0, 2).map(stable)).toEqual(preview.body.lines.map(stable));
      for (const [billed, previewed] of downInvoice.lines.slice(0, 2).map((l: any, i: number) => [l, preview.body.lines[i]])) {
        expect(billed.calculation).toMatchObject({
          rounding: 'half_away_from_zero',
          periodSeconds: previewed.calculation.periodSeconds,
        });
        expect(Math.abs(billed.calculation.remainingSeconds - previewed.calculation.remainingSeconds)).toBeLessThanOrEqual(5);
      }
      expect(await creditBalance(tenant.tenantId)).toBe(2000);
      // Nothing was charged for it.
      expect((await payments(tenant)).map((p) => p.invoiceNumber)).toEqual(['INV-000001']);

      // Back up to Pro: +2000 net, all of it covered by the credit; settled at once, no charge.
      const upPreview = await t.api.post('/v1/subscription/preview', { planId: pro.id, timing: 'now' }, as(tenant));
      expect(upPreview.body).toMatchObject({
        subtotalAmount: 2000,
        creditAppliedAmount: 2000,
        totalAmount: 0,
        creditAddedAmount: 0,
      });
      // Passing the preview's instant bills exactly the lines it showed.
      const up = await t.api.post(
        '/v1/subscription/change',
        { planId: pro.id, timing: 'now', prorationDate: upPreview.body.effectiveAt },
        as(tenant),
      );
      expect(up.status).toBe(200);
      expect(up.body.invoice).toMatchObject({
        id: expect.any(String),
        number: 'INV-000003',
        status: 'paid',
        totalAmount: 0,
        currency: 'USD',
      });
      const upInvoice = (await t.api.get(`/v1/invoices/${up.body.invoice.id}`, as(tenant))).body;
      expect(upInvoice).toMatchObject({ status: 'paid', subtotalAmount: 2000, creditAppliedAmount: 2000, totalAmount: 0 });
      expect(upInvoice.lines.map((l: any) => [l.kind, l.amount])).toEqual([
        ['proration_credit', -1000],
        ['proration_charge', 3000],
        ['credit_applied', -2000],
      ]);
      expect(upInvoice.lines.slice(0, 2)).toEqual(upPreview.body.lines);
      expect(await creditBalance(tenant.tenantId)).toBe(0);
      expect((await payments(tenant)).map((p) => p.invoiceNumber)).toEqual(['INV-000001']);

      // Down to Starter again (+2000 credit), then up to Business: 4000 net, 2000 from credit,
      // 2000 charged by the worker.
      await t.api.post('/v1/subscription/change', { planId: starter.id, timing: 'now' }, as(tenant));
      expect(await creditBalance(tenant.tenantId)).toBe(2000);
      const bizPreview = await t.api.post('/v1/subscription/preview', { planId: business.id, timing: 'now' }, as(tenant));
      expect(bizPreview.body).toMatchObject({
        subtotalAmount: 4000,
        creditAppliedAmount: 2000,
        totalAmount: 2000,
        creditAddedAmount: 0,
      });
      const biz = await t.api.post(
        '/v1/subscription/change',
        { planId: business.id, timing: 'now', prorationDate: bizPreview.body.effectiveAt },
        as(tenant),
      );
      expect(biz.status).toBe(200);
      expect(biz.body.invoice).toMatchObject({
        id: expect.any(String),
        number: 'INV-000005',
        status: 'open',
        totalAmount: 2000,
        currency: 'USD',
      });
      const bizInvoice = await eventually(async () => {
        const res = await t.api.get(`/v1/invoices/${biz.body.invoice.id}`, as(tenant));
        return res.body.status === 'paid' && res.body;
      });
      expect(bizInvoice).toMatchObject({ subtotalAmount: 4000, creditAppliedAmount: 2000, totalAmount: 2000, attemptCount: 1 });
      expect(bizInvoice.lines.map((l: any) => [l.kind, l.amount])).toEqual([
        ['proration_credit', -1000],
        ['proration_charge', 5000],
        ['credit_applied', -2000],
      ]);
      expect(bizInvoice.lines.slice(0, 2)).toEqual(bizPreview.body.lines);
      expect(await creditBalance(tenant.tenantId)).toBe(0);
      expect((await payments(tenant)).map((p) => [p.invoiceNumber, p.amount, p.status])).toEqual([
        ['INV-000005', 2000, 'succeeded'],
        ['INV-000001', 3000, 'succeeded'],
      ]);
      expect(await t.api.get('/v1/subscription', as(tenant))).toMatchObject({
        status: 200,
        body: { status: 'active', plan: { id: business.id } },
      });
      // Lists page newest first with cursors.
      const numbers: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await t.api.get(`/v1/invoices?limit=2${cursor ? `&cursor=${cursor}` : ''}`, as(tenant));
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        numbers.push(...page.body.data.map((i: any) => i.number));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(numbers).toEqual(['INV-000005', 'INV-000004', 'INV-000003', 'INV-000002', 'INV-000001']);
      const firstPayment = await t.api.get('/v1/payments?limit=1', as(tenant));
      expect(firstPayment.body.data.map((p: any) => p.invoiceNumber)).toEqual(['INV-000005']);
      const secondPayment = await t.api.get(`/v1/payments?limit=1&cursor=${firstPayment.body.nextCursor}`, as(tenant));
      expect(secondPayment.body).toEqual({ data: [expect.objectContaining({ invoiceNumber: 'INV-000001' })], nextCursor: null });
      expectProblem(await t.api.get('/v1/invoices?cursor=garbage', as(tenant)), 400, 'validation_failed');
      // Every invoice's lines add up to its total.
      for (const invoice of await invoices(tenant)) {
        expect({ number: invoice.number, sum: invoice.lines.reduce((s: number, l: any) => s + l.amount, 0) }).toEqual({
          number: invoice.number,
          sum: invoice.totalAmount,
        });
      }
    });
  });

  /** Credit must only come from time that was paid for. */
  describe('credit integrity', () => {
    it('grants no credit for unused time of an upgrade whose invoice is still open', async () => {
      // No worker: the upgrade's invoice stays open, as it does while the worker is busy or after a declined card.
      const quiet = await startTestApp();
      try {
        const admin = (await createPlatformAdmin(quiet)).token;
        const cheap = await createPlan(quiet.api, admin, { name: 'Cheap', priceAmount: 1000 });
        const dear = await createPlan(quiet.api, admin, { name: 'Dear', priceAmount: 1_000_000 });
        const tenant = await createTenantWithAdmin(quiet.api);
        await addCard(quiet.api, tenant, CARDS.ok);
        await subscribe(quiet.api, tenant, cheap.id);
        await addCard(quiet.api, tenant, CARDS.declined);
        const asT = { token: tenant.token, tenant: tenant.tenantId };
        const up = await quiet.api.post('/v1/subscription/change', { planId: dear.id, timing: 'now' }, asT);
        expect(up.body.invoice).toMatchObject({ status: 'open' });
        // Straight back down before the upgrade is paid: refused, so no credit for the unpaid Dear time.
        const down = await quiet.api.post('/v1/subscription/change', { planId: cheap.id, timing: 'now' }, asT);
        expectProblem(down, 409, 'invalid_transition');
        const [{ balance }] = await ownerQuery(
          quiet,
          'select coalesce(sum(amount), 0)::int as balance from credit_ledger where tenant_id = $1',
          [tenant.tenantId],
        );
        expect(balance).toBe(0);
      } finally {
        await quiet.close();
      }
    });

    it('a backdated prorationDate cannot credit time from before the last plan change', async () => {
      const cheap = await createPlan(t.api, adminToken, { name: 'Cheap', priceAmount: 1000 });
      const dear = await createPlan(t.api, adminToken, { name: 'Dear', priceAmount: 100_000_000 });
      const tenant = await createTenantWithAdmin(t.api);
      await addCard(t.api, tenant, CARDS.ok);
      const sub = await subscribe(t.api, tenant, cheap.id);
      const up = await t.api.post('/v1/subscription/change', { planId: dear.id, timing: 'now' }, as(tenant));
      const paidForUp = (
        await eventually(async () => {
          const res = await t.api.get(`/v1/invoices/${up.body.invoice.id}`, as(tenant));
          return res.body.status === 'paid' && res.body;
        })
      ).totalAmount;
      // Down again, prorated as of the subscription's start (inside the period and the last hour, but before the upgrade).
      const down = await t.api.post(
        '/v1/subscription/change',
        { planId: cheap.id, timing: 'now', prorationDate: sub.currentPeriodStart },
        as(tenant),
      );
      // Refused: the upgrade (paid, later than the subscription's start) is the last price change.
      expectProblem(down, 400, 'validation_failed');
      expect(down.body.errors).toEqual([expect.objectContaining({ field: 'prorationDate' })]);
      expect(paidForUp).toBeGreaterThan(0);
      expect(await creditBalance(tenant.tenantId)).toBe(0);
    });
  });
});
