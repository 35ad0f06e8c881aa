import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { createPlatformAdmin, expectProblem } from '../support/factories.js';
import { counters, meteredPlan, meteredTenant, MeteredTenant, record } from './support.js';

/** Limit warnings (the limit-warnings queue, once each) and counters per billing period, driven by the app clock and the worker. */
describe('metering: limit warnings and billing periods', () => {
  let t: TestApp;
  let adminToken: string;
  const asAdmin = (tenant: MeteredTenant) => ({ token: tenant.token, tenant: tenant.tenantId });

  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true' }, { worker: true });
    adminToken = (await createPlatformAdmin(t)).token;
    await moveClock('2031-01-01T00:00:00Z');
  });
  afterAll(() => t.close());

  async function moveClock(now: string): Promise<void> {
    const res = await t.api.request('PUT', '/v1/admin/clock', { now }, { token: adminToken });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
  }

  const notifications = async (tenant: MeteredTenant) =>
    (await t.api.get('/v1/notifications?limit=100', asAdmin(tenant))).body.data;
  const warningAudits = (tenantId: string) =>
    ownerQuery(
      t,
      `select target_id, after from audit_logs where tenant_id = $1 and action = 'usage.limit_warning' order by created_at`,
      [tenantId],
    );

  it('records each crossed threshold once, even under a burst and with the job run twice', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 10, warningThresholds: [50, 80, 100] }]);
    const tenant = await meteredTenant(t, plan.id);
    const results = await Promise.all(Array.from({ length: 30 }, () => record(t, tenant, { metric: 'api_calls' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);

    const listed = await eventually(async () => {
      const data = await notifications(tenant);
      return data.length === 3 && data;
    });
    expect(listed.map((n: any) => n.threshold).sort((a: number, b: number) => a - b)).toEqual([50, 80, 100]);
    for (const n of listed) {
      expect(n).toEqual({
        id: expect.any(String),
        kind: 'limit_warning',
        message: `api_calls reached ${n.threshold}% of its limit (${n.used} of 10)`,
        subscriptionId: tenant.subscription.id,
        metric: 'api_calls',
        threshold: n.threshold,
        used: (n.threshold / 100) * 10,
        limit: 10,
        periodStart: tenant.subscription.currentPeriodStart,
        createdAt: expect.any(String),
      });
    }
    expect(await warningAudits(tenant.tenantId)).toHaveLength(3);

    // The same warning enqueued again (a job may run twice): the unique key keeps one notification.
    const queue = t.app.get<Queue>(getQueueToken('limit-warnings'), { strict: false });
    const again = listed.find((n: any) => n.threshold === 80);
    await queue.add(
      'warn',
      {
        tenantId: tenant.tenantId,
        subscriptionId: tenant.subscription.id,
        metric: 'api_calls',
        periodStart: again.periodStart,
        threshold: 80,
        used: 8,
        limit: 10,
      },
      { jobId: `again-${tenant.tenantId}` },
    );
    await eventually(async () => (await queue.getJobState(`again-${tenant.tenantId}`)) === 'completed');
    // Refused writes cross nothing either.
    expectProblem(await record(t, tenant, { metric: 'api_calls' }), 403, 'limit_exceeded');
    expect(await notifications(tenant)).toHaveLength(3);
    expect(await warningAudits(tenant.tenantId)).toHaveLength(3);
    expect(await ownerQuery(t, 'select id from notifications where tenant_id = $1', [tenant.tenantId])).toHaveLength(3);
  });

  it('warns past a soft limit too (thresholds above 100 %), and not for unlimited metrics', async () => {
    const plan = await meteredPlan(t, adminToken, [
      { metric: 'api_calls', limit: 4, enforcement: 'soft', warningThresholds: [100, 150] },
      { metric: 'emails_sent', limit: null },
    ]);
    const tenant = await meteredTenant(t, plan.id);
    for (let i = 0; i < 7; i++) await record(t, tenant, { metric: 'api_calls' });
    await record(t, tenant, { metric: 'emails_sent', quantity: 1000 });
    const listed = await eventually(async () => {
      const data = await notifications(tenant);
      return data.length === 2 && data;
    });
    expect(listed.map((n: any) => [n.threshold, n.used]).sort()).toEqual([
      [100, 4],
      [150, 6],
    ]);
  });

  it('warns when a gauge is set across a threshold', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'storage_mb', limit: 100, warningThresholds: [90] }]);
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 95 });
    await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 10 });
    await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 99 });
    const [warning] = await eventually(async () => {
      const data = await notifications(tenant);
      return data.length === 1 && data;
    });
    expect(warning).toMatchObject({ metric: 'storage_mb', threshold: 90, used: 95, limit: 100 });
  });

  it('starts fresh counters at renewal (moved by the clock); gauges carry on; warnings are per period', async () => {
    await moveClock('2031-03-01T00:00:00Z');
    const plan = await meteredPlan(t, adminToken, [
      { metric: 'api_calls', limit: 3, warningThresholds: [100] },
      { metric: 'storage_mb', limit: 100 },
    ]);
    const tenant = await meteredTenant(t, plan.id);
    const first = tenant.subscription;
    expect(first.currentPeriodStart.slice(0, 10)).toBe('2031-03-01');
    for (let i = 0; i < 3; i++) await record(t, tenant, { metric: 'api_calls' });
    await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 40 });
    expectProblem(await record(t, tenant, { metric: 'api_calls' }), 403, 'limit_exceeded');
    await eventually(async () => (await notifications(tenant)).length === 1);

    // The period ends; the worker renews the subscription when the clock says so.
    await moveClock('2031-04-01T00:00:05Z');
    const renewed = await eventually(async () => {
      const res = await t.api.get('/v1/subscription', asAdmin(tenant));
      return res.body.currentPeriodStart === first.currentPeriodEnd && res.body;
    });
    expect(renewed.usage.find((u: any) => u.metric === 'api_calls')).toMatchObject({
      used: 0,
      remaining: 3,
      resetsAt: renewed.currentPeriodEnd,
    });
    expect((await t.api.get('/v1/entitlements/api_calls', { token: tenant.key })).body).toMatchObject({
      allowed: true,
      used: 0,
      limit: 3,
      resetsAt: renewed.currentPeriodEnd,
    });
    expect((await t.api.get('/v1/entitlements/storage_mb', { token: tenant.key })).body).toMatchObject({
      used: 40,
      resetsAt: null,
    });
    expect((await t.api.get('/v1/usage', { token: tenant.key })).body).toMatchObject({
      periodStart: renewed.currentPeriodStart,
      periodEnd: renewed.currentPeriodEnd,
    });

    for (let i = 0; i < 3; i++) expect((await record(t, tenant, { metric: 'api_calls' })).body.used).toBe(i + 1);
    expectProblem(await record(t, tenant, { metric: 'api_calls' }), 403, 'limit_exceeded');
    // One counter row per period; the first one is kept as it was.
    expect((await counters(t, tenant.tenantId)).map((c) => [c.period_start.toISOString(), c.used])).toEqual([
      [first.currentPeriodStart, 3],
      [renewed.currentPeriodStart, 3],
    ]);
    // The 100 % warning again, for the new period.
    const listed = await eventually(async () => {
      const data = await notifications(tenant);
      return data.length === 2 && data;
    });
    expect(listed.map((n: any) => n.periodStart).sort()).toEqual([first.currentPeriodStart, renewed.currentPeriodStart]);

    // History spans both periods (occurredAt defaults to the application clock).
    const history = await t.api.get('/v1/usage/history?metric=api_calls&from=2031-03-01T00:00:00Z&to=2031-04-02T00:00:00Z', {
      token: tenant.key,
    });
    const byDay = Object.fromEntries(
      history.body.buckets.filter((b: any) => b.quantity).map((b: any) => [b.start.slice(0, 10), b.quantity]),
    );
    expect(byDay).toEqual({ '2031-03-01': 3, '2031-04-01': 3 });
  });
});
