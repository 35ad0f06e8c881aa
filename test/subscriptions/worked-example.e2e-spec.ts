import type { PlanDto } from '../../sdk/index.js';
import { eventually, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  createPlan,
  createPlatformAdmin,
  createTenantWithAdmin,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/**
 * The worked example, driven by the application clock: on Starter (1000/month) from
 * 2030-01-01, an upgrade to Pro (3000) on 2030-01-16 bills −516 and +1548 (total 1032), paid by
 * the worker; then a downgrade scheduled for the period end.
 */
describe('subscribe → prorated upgrade → scheduled downgrade (clock-driven)', () => {
  let t: TestApp;
  let adminToken: string;
  let tenant: TenantWithAdmin;
  let starter: PlanDto;
  let pro: PlanDto;

  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true', LOG_LEVEL: 'error' }, { worker: true });
    adminToken = (await createPlatformAdmin(t)).token;
    starter = await createPlan(t.api, adminToken, { name: 'Starter', priceAmount: 1000 });
    pro = await createPlan(t.api, adminToken, { name: 'Pro', priceAmount: 3000 });
    tenant = await createTenantWithAdmin(t.api, 'Worked Example Inc');
    await addCard(t.api, tenant);
  });
  afterAll(() => t.close());

  const moveClock = async (now: string) => {
    const res = await t.api.request('PUT', '/v1/admin/clock', { now }, { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.body.now.slice(0, 19)).toBe(now.slice(0, 19));
  };

  it('holds end to end', async () => {
    await moveClock('2030-01-01T00:00:00Z');
    const sub = await subscribe(t.api, tenant, starter.id);
    expect(sub).toMatchObject({ status: 'active', plan: { id: starter.id, version: 1 }, cyclesBilled: 1 });
    expect(sub.currentPeriodStart.slice(0, 16)).toBe('2030-01-01T00:00');
    expect(sub.currentPeriodEnd.slice(0, 16)).toBe('2030-02-01T00:00');

    const first = await t.api.get('/v1/invoices', as(tenant));
    expect(first.body.data).toHaveLength(1);
    expect(first.body.data[0]).toMatchObject({
      number: 'INV-000001',
      status: 'paid',
      totalAmount: 1000,
      billingReason: 'subscription_create',
    });

    await moveClock('2030-01-16T00:00:00Z');
    const preview = await t.api.post('/v1/subscription/preview', { planId: pro.id }, as(tenant));
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      timing: 'now',
      currency: 'USD',
      subtotalAmount: 1032,
      totalAmount: 1032,
      creditAppliedAmount: 0,
      creditAddedAmount: 0,
      amountDue: 1032,
    });
    expect(preview.body.lines.map((l: any) => [l.kind, l.amount])).toEqual([
      ['proration_credit', -516],
      ['proration_charge', 1548],
    ]);
    expect(preview.body.lines[0].calculation).toMatchObject({ rounding: 'half_away_from_zero', periodSeconds: 2678400 });

    // Passing the preview's instant bills exactly what the preview showed.
    const change = await t.api.post(
      '/v1/subscription/change',
      { planId: pro.id, prorationDate: preview.body.effectiveAt },
      as(tenant),
    );
    expect(change.status).toBe(200);
    expect(change.body.subscription).toMatchObject({ status: 'active', plan: { id: pro.id } });
    // Same interval: the billing anchor and the period stay.
    expect(change.body.subscription.currentPeriodEnd).toBe(sub.currentPeriodEnd);
    expect(change.body.invoice).toMatchObject({ number: 'INV-000002', totalAmount: 1032 });

    // The change answered without waiting for the charge; the worker collects it.
    const paid = await eventually(async () => {
      const res = await t.api.get(`/v1/invoices/${change.body.invoice.id}`, as(tenant));
      return res.body.status === 'paid' && res.body;
    });
    expect(paid.lines.map((l: any) => [l.kind, l.amount])).toEqual([
      ['proration_credit', -516],
      ['proration_charge', 1548],
    ]);
    expect(paid).toMatchObject({ totalAmount: 1032, billingReason: 'subscription_update' });
    // The invoice bills exactly what the preview showed.
    expect(paid.lines.map((l: any) => ({ ...l }))).toEqual(preview.body.lines);
    const payments = await t.api.get('/v1/payments', as(tenant));
    expect(payments.body.data.map((p: any) => [p.invoiceNumber, p.amount, p.status])).toEqual([
      ['INV-000002', 1032, 'succeeded'],
      ['INV-000001', 1000, 'succeeded'],
    ]);

    // A downgrade defaults to the period end and is shown on the subscription.
    await moveClock('2030-01-20T00:00:00Z');
    const downgrade = await t.api.post('/v1/subscription/change', { planId: starter.id }, as(tenant));
    expect(downgrade.status).toBe(200);
    expect(downgrade.body.invoice).toBeNull();
    const current = await t.api.get('/v1/subscription', as(tenant));
    expect(current.body).toMatchObject({
      plan: { id: pro.id },
      scheduledChange: { plan: { id: starter.id, version: 1 }, effectiveAt: sub.currentPeriodEnd },
    });
    expect((await t.api.get('/v1/invoices', as(tenant))).body.data).toHaveLength(2);
  });
});
