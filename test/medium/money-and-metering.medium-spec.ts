import { randomUUID } from 'node:crypto';
import type { TenantCaller } from '../../src/common/auth/caller.js';
import { CreditBalanceService } from '../../src/modules/billing/credit-balance.service.js';
import { InvoicesService } from '../../src/modules/billing/invoices.service.js';
import { PaymentMethodsService } from '../../src/modules/billing/payment-methods.service.js';
import { UsageService } from '../../src/modules/metering/usage.service.js';
import { SubscriptionsService } from '../../src/modules/subscriptions/subscriptions.service.js';
import { SubscriptionRepository } from '../../src/modules/subscriptions/subscription.repository.js';
import { newMediumContext, type MediumContext } from './medium.factory.js';

/**
 * Subscriptions, billing and metering at the service level: each tenant's money and usage stay its
 * own when the services are called as the other tenant.
 */
let ctx: MediumContext;
let a: TenantCaller;
let b: TenantCaller;
let planId: string;

beforeAll(async () => {
  ctx = await newMediumContext();
  a = await ctx.newTenant('Acme');
  b = await ctx.newTenant('Globex');
  planId = await ctx.newPlan({
    priceAmount: 2500n,
    limits: [
      { policyId: randomUUID(), metric: 'api_calls', kind: 'counter', limit: 3, enforcement: 'hard', warningThresholds: [] },
    ],
  });
  const cards = ctx.get(PaymentMethodsService);
  for (const tenant of [a, b]) {
    await ctx.as(tenant, () => cards.add(tenant, { cardNumber: '4242424242424242', expMonth: 12, expYear: 2099 }));
    await ctx.as(tenant, () => ctx.get(SubscriptionsService).subscribe(tenant, planId));
  }
});
afterAll(() => ctx.close());

describe('billing', () => {
  it('keeps each tenant’s invoices and payments to itself', async () => {
    const invoices = ctx.get(InvoicesService);
    const [ofA] = (await ctx.as(a, () => invoices.list(a, { limit: 10 }))).data;
    expect(ofA).toMatchObject({ status: 'paid', totalAmount: 2500 });
    const ofB = (await ctx.as(b, () => invoices.list(b, { limit: 10 }))).data;
    expect(ofB.map((i) => i.id)).not.toContain(ofA.id);

    await expect(ctx.as(b, () => invoices.get(b, ofA.id))).rejects.toMatchObject({ status: 404 });
    await expect(ctx.as(b, () => invoices.pay(b, ofA.id))).rejects.toMatchObject({ status: 404 });
    const payments = await ctx.as(b, () => invoices.payments(b, { limit: 10 }));
    expect(payments.data.map((p) => p.invoiceId)).not.toContain(ofA.id);
  });

  it('shows a tenant its own credit balance only', async () => {
    await ctx.owner(
      `insert into credit_ledger (id, tenant_id, currency, amount, reason, created_at) values ($1, $2, 'USD', 700, 'cancellation_credit', now())`,
      [randomUUID(), a.tenantId],
    );
    const credit = ctx.get(CreditBalanceService);
    expect((await ctx.as(a, () => credit.get(a, { limit: 10 }))).balances).toEqual([{ currency: 'USD', amount: 700 }]);
    expect((await ctx.as(b, () => credit.get(b, { limit: 10 }))).balances).toEqual([]);
  });

  it('finds no live subscription of another tenant, even asked inside a tenant’s transaction', async () => {
    const repository = ctx.get(SubscriptionRepository);
    expect(await ctx.as(a, () => repository.findLive(a.tenantId))).not.toBeNull();
    expect(await ctx.as(a, () => repository.findLive(b.tenantId))).toBeNull();
  });
});

describe('the subscription read', () => {
  it('answers the hot read exactly as the entity path answers a change', async () => {
    const c = await ctx.newTenant('Initech');
    await ctx.as(c, () => ctx.get(PaymentMethodsService).add(c, { cardNumber: '4242424242424242', expMonth: 12, expYear: 2099 }));
    const subscriptions = ctx.get(SubscriptionsService);
    const subscribed = await ctx.as(c, () => subscriptions.subscribe(c, planId));
    expect(await ctx.as(c, () => subscriptions.current(c))).toEqual(subscribed);
    const cancelling = await ctx.as(c, () => subscriptions.cancel(c, true));
    expect(cancelling.cancelAtPeriodEnd).toBe(true);
    expect(await ctx.as(c, () => subscriptions.current(c))).toEqual(cancelling);
  });
});

describe('metering', () => {
  it('counts each tenant against its own limit', async () => {
    const usage = ctx.get(UsageService);
    const record = (tenant: TenantCaller) => ctx.as(tenant, () => usage.record(tenant, { metric: 'api_calls' }, undefined));
    for (let i = 0; i < 3; i++) await record(a);
    await expect(record(a)).rejects.toMatchObject({ status: 403, code: 'limit_exceeded' });

    const ofB = await record(b);
    expect(ofB.body).toMatchObject({ metric: 'api_calls', used: 1, limit: 3, remaining: 2 });
    const entitlementOfA = await ctx.as(a, () => usage.entitlement(a, 'api_calls'));
    expect(entitlementOfA).toMatchObject({ used: 3, allowed: false });
  });
});
