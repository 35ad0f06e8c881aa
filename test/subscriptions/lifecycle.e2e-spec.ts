import type { PlanDto } from '../../sdk/index.js';
import { startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  addMember,
  createPlan,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  expectProblem,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

describe('subscription lifecycle', () => {
  let t: TestApp;
  let adminToken: string;
  let starter: PlanDto;
  let pro: PlanDto;
  let yearly: PlanDto;
  let trial: PlanDto;
  let free: PlanDto;

  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true' });
    adminToken = (await createPlatformAdmin(t)).token;
    const seats = await createPolicy(t.api, adminToken, 'max_users', 3);
    const calls = await createPolicy(t.api, adminToken, 'api_calls', 1000);
    const oneSeat = await createPolicy(t.api, adminToken, 'max_users', 1);
    starter = await createPlan(t.api, adminToken, { name: 'Starter', priceAmount: 1000, policyIds: [seats.id, calls.id] });
    pro = await createPlan(t.api, adminToken, { name: 'Pro', priceAmount: 3000, policyIds: [calls.id] });
    yearly = await createPlan(t.api, adminToken, { name: 'Pro Yearly', priceAmount: 30000, interval: 'year' });
    trial = await createPlan(t.api, adminToken, { name: 'Trial', priceAmount: 2000, trialDays: 14 });
    free = await createPlan(t.api, adminToken, { name: 'Solo', priceAmount: 0, policyIds: [oneSeat.id] });
  });
  afterAll(() => t.close());

  async function paidTenant(planId = starter.id): Promise<TenantWithAdmin> {
    const tenant = await createTenantWithAdmin(t.api);
    await addCard(t.api, tenant);
    await subscribe(t.api, tenant, planId);
    return tenant;
  }

  it('shows the live subscription with usage against every limited metric', async () => {
    const tenant = await paidTenant();
    await addMember(t.api, tenant);
    const res = await t.api.get('/v1/subscription', as(tenant));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'active',
      plan: { id: starter.id, code: starter.code, name: 'Starter', version: 1 },
      cancelAtPeriodEnd: false,
      trialEnd: null,
      scheduledChange: null,
    });
    expect(res.body.usage).toEqual([
      { metric: 'max_users', kind: 'gauge', used: 2, limit: 3, remaining: 1, enforcement: 'hard', resetsAt: null },
      {
        metric: 'api_calls',
        kind: 'counter',
        used: 0,
        limit: 1000,
        remaining: 1000,
        enforcement: 'hard',
        resetsAt: res.body.currentPeriodEnd,
      },
    ]);
  });

  it('answers 404 without a live subscription, and allows one live subscription per tenant', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    expectProblem(await t.api.get('/v1/subscription', as(tenant)), 404, 'not_found');
    await subscribe(t.api, tenant, free.id);
    expectProblem(await t.api.post('/v1/subscription', { planId: free.id }, as(tenant)), 409, 'conflict');
  });

  it('starts a trial without a card or a charge', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const sub = await subscribe(t.api, tenant, trial.id);
    expect(sub.status).toBe('trialing');
    expect(new Date(sub.trialEnd!).getTime() - new Date(sub.currentPeriodStart).getTime()).toBe(14 * 86400_000);
    expect(sub.currentPeriodEnd).toBe(sub.trialEnd);
    expect((await t.api.get('/v1/invoices', as(tenant))).body.data).toEqual([]);
  });

  it('gives one free trial per tenant: after cancelling, a trial plan starts paid at once', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const first = await subscribe(t.api, tenant, trial.id);
    expect(first.status).toBe('trialing');
    const cancel = await t.api.post('/v1/subscription/cancel', { atPeriodEnd: false }, as(tenant));
    expect(cancel.status).toBe(200);

    // Without a card the second subscribe cannot start (no trial to fall back on) and changes nothing.
    expectProblem(await t.api.post('/v1/subscription', { planId: trial.id }, as(tenant)), 402, 'payment_failed');
    await addCard(t.api, tenant);
    const second = await subscribe(t.api, tenant, trial.id);
    expect(second).toMatchObject({ status: 'active', trialEnd: null, cyclesBilled: 1 });
    const invoices = (await t.api.get('/v1/invoices', as(tenant))).body.data;
    expect(invoices).toEqual([expect.objectContaining({ status: 'paid', totalAmount: 2000 })]);

    // And again: still no trial.
    expect((await t.api.post('/v1/subscription/cancel', { atPeriodEnd: false }, as(tenant))).status).toBe(200);
    expect(await subscribe(t.api, tenant, trial.id)).toMatchObject({ status: 'active', trialEnd: null });
  });

  it('enforces max_users where an invitation is accepted (403 limit_exceeded)', async () => {
    const tenant = await paidTenant();
    await addMember(t.api, tenant);
    await addMember(t.api, tenant);
    const extra = await t.api.post('/v1/auth/register', {
      email: `x-${Date.now()}@example.test`,
      password: 'correct-horse-battery',
      name: 'Extra',
    });
    const invited = await t.api.post('/v1/members', { email: extra.body.user.email, role: 'tenant_user' }, as(tenant));
    expect(invited.status).toBe(202);
    const res = await t.api.post(`/v1/invitations/${invited.body.invitationId}/accept`, undefined, {
      token: extra.body.accessToken,
    });
    expectProblem(res, 403, 'limit_exceeded');
    expect(res.body).toMatchObject({ metric: 'max_users', limit: 3, used: 3, requested: 1 });
    expect((await t.api.get('/v1/members', as(tenant))).body.data).toHaveLength(3);
  });

  it('blocks a change to a plan whose gauge limits are below current use, naming the metric', async () => {
    const tenant = await paidTenant();
    await addMember(t.api, tenant);
    const res = await t.api.post('/v1/subscription/change', { planId: free.id, timing: 'now' }, as(tenant));
    expectProblem(res, 409, 'downgrade_blocked');
    expect(res.body.metrics).toEqual([{ metric: 'max_users', limit: 1, used: 2 }]);
    expectProblem(await t.api.post('/v1/subscription/preview', { planId: free.id }, as(tenant)), 409, 'downgrade_blocked');
    // Nothing changed.
    expect((await t.api.get('/v1/subscription', as(tenant))).body.plan.id).toBe(starter.id);
  });

  it('downgrades now with a net credit that later invoices use', async () => {
    const tenant = await paidTenant(pro.id);
    const res = await t.api.post('/v1/subscription/change', { planId: starter.id, timing: 'now' }, as(tenant));
    expect(res.status).toBe(200);
    expect(res.body.invoice).toMatchObject({ status: 'paid', totalAmount: 0 });
    const invoice = (await t.api.get(`/v1/invoices/${res.body.invoice.id}`, as(tenant))).body;
    const kinds = invoice.lines.map((l: any) => l.kind);
    expect(kinds).toEqual(['proration_credit', 'proration_charge', 'credit_to_balance']);
    const net = invoice.lines[0].amount + invoice.lines[1].amount;
    expect(net).toBeLessThan(0);
    expect(invoice.lines[2].amount).toBe(-net);
    expect(invoice.subtotalAmount).toBe(net);
  });

  it('restarts the period on an interval change: credit for unused time, full new price', async () => {
    const tenant = await paidTenant();
    const preview = await t.api.post('/v1/subscription/preview', { planId: yearly.id }, as(tenant));
    expect(preview.status).toBe(200);
    expect(preview.body.timing).toBe('now');
    expect(preview.body.lines.map((l: any) => l.kind)).toEqual(['proration_credit', 'subscription']);
    expect(preview.body.lines[1].amount).toBe(30000);
    const res = await t.api.post(
      '/v1/subscription/change',
      { planId: yearly.id, prorationDate: preview.body.effectiveAt },
      as(tenant),
    );
    expect(res.status).toBe(200);
    expect(res.body.subscription.currentPeriodStart).toBe(preview.body.effectiveAt);
    const start = new Date(res.body.subscription.currentPeriodStart);
    const end = new Date(res.body.subscription.currentPeriodEnd);
    expect(end.getUTCFullYear() - start.getUTCFullYear()).toBe(1);
    expect(res.body.invoice.totalAmount).toBe(preview.body.totalAmount);
  });

  it('cancels at period end, resumes, then cancels now; illegal moves are 409 invalid_transition', async () => {
    const tenant = await paidTenant();
    const scheduled = await t.api.post('/v1/subscription/cancel', {}, as(tenant));
    expect(scheduled.body).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expectProblem(await t.api.post('/v1/subscription/cancel', { atPeriodEnd: true }, as(tenant)), 409, 'invalid_transition');
    expectProblem(await t.api.post('/v1/subscription/change', { planId: pro.id }, as(tenant)), 409, 'invalid_transition');
    const resumed = await t.api.post('/v1/subscription/resume', {}, as(tenant));
    expect(resumed.body).toMatchObject({ status: 'active', cancelAtPeriodEnd: false });
    expectProblem(await t.api.post('/v1/subscription/resume', {}, as(tenant)), 409, 'invalid_transition');
    const ended = await t.api.post('/v1/subscription/cancel', { atPeriodEnd: false }, as(tenant));
    expect(ended.body).toMatchObject({ status: 'cancelled', endedReason: 'cancelled' });
    expectProblem(await t.api.get('/v1/subscription', as(tenant)), 404, 'not_found');
    expectProblem(await t.api.post('/v1/subscription/resume', {}, as(tenant)), 404, 'not_found');
    const history = await t.api.get('/v1/subscriptions', as(tenant));
    expect(history.body.data.map((s: any) => s.status)).toEqual(['cancelled']);
    // A new subscription may start after the old one ended.
    expect((await t.api.post('/v1/subscription', { planId: starter.id }, as(tenant))).status).toBe(201);
    expect((await t.api.get('/v1/subscriptions', as(tenant))).body.data.map((s: any) => s.status)).toEqual([
      'active',
      'cancelled',
    ]);
  });

  it('refuses changing to the same plan version, bad timings and unknown plans', async () => {
    const tenant = await paidTenant();
    expectProblem(await t.api.post('/v1/subscription/change', { planId: starter.id }, as(tenant)), 409, 'conflict');
    expectProblem(
      await t.api.post('/v1/subscription/change', { planId: pro.id, timing: 'later' }, as(tenant)),
      400,
      'validation_failed',
    );
    expectProblem(
      await t.api.post('/v1/subscription/change', { planId: '00000000-0000-4000-8000-000000000000' }, as(tenant)),
      400,
      'validation_failed',
    );
    expectProblem(
      await t.api.post('/v1/subscription/change', { planId: pro.id, prorationDate: '2001-01-01T00:00:00Z' }, as(tenant)),
      400,
      'validation_failed',
    );
  });

  it('lets tenant users read but not change the subscription', async () => {
    const tenant = await paidTenant();
    const user = await addMember(t.api, tenant, 'tenant_user');
    const opts = { token: user.token, tenant: tenant.tenantId };
    expect((await t.api.get('/v1/subscription', opts)).status).toBe(200);
    expect((await t.api.get('/v1/subscriptions', opts)).status).toBe(200);
    for (const path of [
      '/v1/subscription/cancel',
      '/v1/subscription/resume',
      '/v1/subscription/change',
      '/v1/subscription/preview',
    ]) {
      expectProblem(await t.api.post(path, { planId: pro.id }, opts), 403, 'forbidden');
    }
  });

  it('audits every subscription change with before and after', async () => {
    const tenant = await paidTenant();
    await t.api.post('/v1/subscription/change', { planId: pro.id }, as(tenant));
    await t.api.post('/v1/subscription/cancel', {}, as(tenant));
    const logs = await t.api.get('/v1/audit-logs?limit=100', as(tenant));
    const actions = logs.body.data.map((l: any) => l.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'subscription.created',
        'subscription.plan_changed',
        'subscription.cancel_scheduled',
        'invoice.created',
      ]),
    );
    const changed = logs.body.data.find((l: any) => l.action === 'subscription.plan_changed');
    expect(changed.before.plan.id).toBe(starter.id);
    expect(changed.after.plan.id).toBe(pro.id);
  });

  describe('application clock', () => {
    it('is moved by platform admins only, forward only', async () => {
      const tenant = await createTenantWithAdmin(t.api);
      expectProblem(
        await t.api.request('PUT', '/v1/admin/clock', { now: '2031-01-01T00:00:00Z' }, { token: tenant.token }),
        403,
        'forbidden',
      );
      const ahead = await t.api.request('PUT', '/v1/admin/clock', { now: '2031-01-01T00:00:00Z' }, { token: adminToken });
      expect(ahead.status).toBe(200);
      expectProblem(
        await t.api.request('PUT', '/v1/admin/clock', { now: '2030-06-01T00:00:00Z' }, { token: adminToken }),
        409,
        'conflict',
      );
      expectProblem(
        await t.api.request('PUT', '/v1/admin/clock', { now: 'tomorrow' }, { token: adminToken }),
        400,
        'validation_failed',
      );
      const read = await t.api.get('/v1/admin/clock', { token: adminToken });
      expect(read.body.controllable).toBe(true);
      expect(read.body.now >= '2031-01-01T00:00:00').toBe(true);
    });
  });
});

describe('application clock without CLOCK_CONTROL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('cannot be moved', async () => {
    const admin = await createPlatformAdmin(t);
    expectProblem(
      await t.api.request('PUT', '/v1/admin/clock', { now: '2040-01-01T00:00:00Z' }, { token: admin.token }),
      409,
      'clock_control_off',
    );
  });
});
