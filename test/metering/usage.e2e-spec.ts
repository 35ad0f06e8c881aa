import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  addMember,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  expectProblem,
  subscribe,
} from '../support/factories.js';
import { counters, eventCount, meteredPlan, meteredTenant, MeteredTenant, record } from './support.js';

/** Usage recording, limits, gauges, entitlements, the usage views and history — over HTTP, by API key and by JWT. */
describe('metering: usage and entitlements', () => {
  let t: TestApp;
  let adminToken: string;
  const asAdmin = (tenant: MeteredTenant) => ({ token: tenant.token, tenant: tenant.tenantId });

  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true' });
    adminToken = (await createPlatformAdmin(t)).token;
    // A custom metric the platform knows (a policy defines it) without this plan limiting it.
    await createPolicy(t.api, adminToken, 'emails_sent', 1000);
  });
  afterAll(() => t.close());

  it('counts against a hard limit with one conditional update and refuses beyond it, counting nothing', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 5 }]);
    const tenant = await meteredTenant(t, plan.id);
    const answers = [];
    for (const quantity of [1, 1, 1, 2]) answers.push(await record(t, tenant, { metric: 'api_calls', quantity }));
    expect(answers.map((r) => [r.status, r.body.used, r.body.remaining])).toEqual([
      [201, 1, 4],
      [201, 2, 3],
      [201, 3, 2],
      [201, 5, 0],
    ]);
    expect(answers[3].body).toEqual({ metric: 'api_calls', used: 5, limit: 5, remaining: 0 });

    const refused = await record(t, tenant, { metric: 'api_calls' });
    expectProblem(refused, 403, 'limit_exceeded');
    expect(refused.body).toMatchObject({
      metric: 'api_calls',
      limit: 5,
      used: 5,
      requested: 1,
      resetsAt: tenant.subscription.currentPeriodEnd,
    });
    expect(await counters(t, tenant.tenantId)).toEqual([expect.objectContaining({ metric: 'api_calls', used: 5 })]);
    expect(await eventCount(t, tenant.tenantId)).toBe(4);
  });

  it('refuses a report larger than what remains as a whole', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 5 }]);
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'api_calls', quantity: 3 });
    const refused = await record(t, tenant, { metric: 'api_calls', quantity: 3 });
    expectProblem(refused, 403, 'limit_exceeded');
    expect(refused.body).toMatchObject({ limit: 5, used: 3, requested: 3 });
    expect((await record(t, tenant, { metric: 'api_calls', quantity: 2 })).body).toMatchObject({ used: 5, remaining: 0 });
    expect(await eventCount(t, tenant.tenantId)).toBe(2);
  });

  it('refuses a report with an idempotency key beyond a hard limit as any other (403 naming the limit)', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 2 }]);
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'api_calls', quantity: 2 });
    const refused = await record(t, tenant, { metric: 'api_calls' }, { idempotencyKey: 'over-the-limit' });
    expectProblem(refused, 403, 'limit_exceeded');
    expect(refused.body).toMatchObject({ metric: 'api_calls', limit: 2, used: 2, requested: 1 });
    expect(await eventCount(t, tenant.tenantId)).toBe(1);
  });

  it('counts on over a soft limit and answers with a warning', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 2, enforcement: 'soft' }]);
    const tenant = await meteredTenant(t, plan.id);
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await record(t, tenant, { metric: 'api_calls' })).body);
    expect(bodies[1]).toEqual({ metric: 'api_calls', used: 2, limit: 2, remaining: 0 });
    expect(bodies[2]).toEqual({
      metric: 'api_calls',
      used: 3,
      limit: 2,
      remaining: 0,
      warning: { code: 'over_limit', message: 'api_calls is over its limit of 2 (3 used)' },
    });
    const entitlement = await t.api.get('/v1/entitlements/api_calls', { token: tenant.key });
    expect(entitlement.body).toMatchObject({ allowed: true, used: 3, limit: 2, remaining: 0, enforcement: 'soft' });
  });

  it('counts metrics the plan does not limit when the platform knows them; refuses unknown ones (400)', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 5 }]);
    const tenant = await meteredTenant(t, plan.id);
    expect((await record(t, tenant, { metric: 'emails_sent', quantity: 7 })).body).toEqual({
      metric: 'emails_sent',
      used: 7,
      limit: null,
      remaining: null,
    });
    const unknown = await record(t, tenant, { metric: 'widgets_made' });
    expectProblem(unknown, 400, 'validation_failed');
    expect(unknown.body.errors).toEqual([{ field: 'metric', message: expect.stringContaining('widgets_made') }]);
    expectProblem(await t.api.get('/v1/entitlements/widgets_made', { token: tenant.key }), 404, 'not_found');
    expect((await t.api.get('/v1/entitlements/emails_sent', { token: tenant.key })).body).toMatchObject({
      metric: 'emails_sent',
      kind: 'counter',
      allowed: true,
      used: 7,
      limit: null,
      remaining: null,
      enforcement: null,
    });
    expect(await eventCount(t, tenant.tenantId)).toBe(1);
  });

  it('sets storage_mb with operation set: raising is held to the hard limit, lowering always goes', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'storage_mb', limit: 100 }]);
    const tenant = await meteredTenant(t, plan.id);
    expect((await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 60 })).body).toEqual({
      metric: 'storage_mb',
      used: 60,
      limit: 100,
      remaining: 40,
    });
    expect((await record(t, tenant, { metric: 'storage_mb', quantity: 30 })).body).toMatchObject({ used: 90, remaining: 10 });
    const over = await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 101 });
    expectProblem(over, 403, 'limit_exceeded');
    expect(over.body).toMatchObject({ metric: 'storage_mb', limit: 100, used: 90, requested: 11, resetsAt: null });
    expectProblem(await record(t, tenant, { metric: 'storage_mb', quantity: 11 }), 403, 'limit_exceeded');
    expect((await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 0 })).body).toMatchObject({
      used: 0,
      remaining: 100,
    });
    const entitlement = await t.api.get('/v1/entitlements/storage_mb?quantity=100', { token: tenant.key });
    expect(entitlement.body).toEqual({
      metric: 'storage_mb',
      kind: 'gauge',
      allowed: true,
      used: 0,
      limit: 100,
      remaining: 100,
      enforcement: 'hard',
      resetsAt: null,
    });
    expect(
      (await ownerQuery(t, 'select value::int as value from usage_gauges where tenant_id = $1', [tenant.tenantId]))[0].value,
    ).toBe(0);
    expect(await eventCount(t, tenant.tenantId, 'storage_mb')).toBe(3);
  });

  it('refuses max_users on POST /v1/usage: it follows membership, which entitlements show', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'max_users', limit: 2 }]);
    const tenant = await meteredTenant(t, plan.id);
    const res = await record(t, tenant, { metric: 'max_users' });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ field: 'metric', message: expect.stringContaining('membership') }]);
    expect((await t.api.get('/v1/entitlements/max_users', { token: tenant.key })).body).toMatchObject({
      kind: 'gauge',
      allowed: true,
      used: 1,
      limit: 2,
      remaining: 1,
    });
    await addMember(t.api, tenant);
    expect((await t.api.get('/v1/entitlements/max_users', { token: tenant.key })).body).toMatchObject({
      allowed: false,
      used: 2,
      remaining: 0,
    });
  });

  it('answers entitlements with used, limit, remaining, allowed (for a quantity) and resetsAt', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 10 }]);
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'api_calls', quantity: 7 });
    const res = await t.api.get('/v1/entitlements/api_calls', { token: tenant.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      metric: 'api_calls',
      kind: 'counter',
      allowed: true,
      used: 7,
      limit: 10,
      remaining: 3,
      enforcement: 'hard',
      resetsAt: tenant.subscription.currentPeriodEnd,
    });
    expect((await t.api.get('/v1/entitlements/api_calls?quantity=3', { token: tenant.key })).body.allowed).toBe(true);
    expect((await t.api.get('/v1/entitlements/api_calls?quantity=4', { token: tenant.key })).body.allowed).toBe(false);
    // The same by JWT, for any member.
    expect((await t.api.get('/v1/entitlements/api_calls', asAdmin(tenant))).body).toEqual(res.body);
    const user = await addMember(t.api, tenant, 'tenant_user');
    expect((await t.api.get('/v1/entitlements/api_calls', { token: user.token })).body).toEqual(res.body);
  });

  it('shows the current period per metric at GET /v1/usage and real counters in GET /v1/subscription', async () => {
    const plan = await meteredPlan(t, adminToken, [
      { metric: 'api_calls', limit: 100 },
      { metric: 'max_users', limit: 5 },
      { metric: 'storage_mb', limit: 50, enforcement: 'soft' },
    ]);
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'api_calls', quantity: 42 });
    await record(t, tenant, { metric: 'storage_mb', operation: 'set', value: 12 });
    await record(t, tenant, { metric: 'emails_sent', quantity: 3 });
    const end = tenant.subscription.currentPeriodEnd;
    const expected = [
      { metric: 'api_calls', kind: 'counter', used: 42, limit: 100, remaining: 58, enforcement: 'hard', resetsAt: end },
      { metric: 'max_users', kind: 'gauge', used: 1, limit: 5, remaining: 4, enforcement: 'hard', resetsAt: null },
      { metric: 'storage_mb', kind: 'gauge', used: 12, limit: 50, remaining: 38, enforcement: 'soft', resetsAt: null },
    ];
    const usage = await t.api.get('/v1/usage', { token: tenant.key });
    expect(usage.status).toBe(200);
    expect(usage.body).toEqual({
      subscriptionId: tenant.subscription.id,
      periodStart: tenant.subscription.currentPeriodStart,
      periodEnd: end,
      metrics: [
        ...expected,
        { metric: 'emails_sent', kind: 'counter', used: 3, limit: null, remaining: null, enforcement: null, resetsAt: end },
      ],
    });
    expect((await t.api.get('/v1/usage', asAdmin(tenant))).body).toEqual(usage.body);
    expect((await t.api.get('/v1/subscription', asAdmin(tenant))).body.usage).toEqual(expected);
  });

  it('shows a period with nothing limited or used', async () => {
    const plan = await meteredPlan(t, adminToken, []);
    const tenant = await meteredTenant(t, plan.id);
    expect((await t.api.get('/v1/usage', { token: tenant.key })).body).toEqual({
      subscriptionId: tenant.subscription.id,
      periodStart: tenant.subscription.currentPeriodStart,
      periodEnd: tenant.subscription.currentPeriodEnd,
      metrics: [],
    });
  });

  it('keeps the period counters against the new limits after a plan change mid-period', async () => {
    const small = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 10 }], { name: 'Small', priceAmount: 1000 });
    const large = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 20 }], { name: 'Large', priceAmount: 2000 });
    const tenant = await createTenantWithAdmin(t.api);
    await t.api.post(
      '/v1/payment-methods',
      { cardNumber: '4242424242424242', expMonth: 12, expYear: 2099 },
      { token: tenant.token },
    );
    await subscribe(t.api, tenant, small.id);
    const key = (await t.api.post('/v1/api-keys', { name: 'k', mode: 'test' }, { token: tenant.token })).body.secret;
    expect((await record(t, key, { metric: 'api_calls', quantity: 10 })).body).toMatchObject({ used: 10, remaining: 0 });
    expectProblem(await record(t, key, { metric: 'api_calls' }), 403, 'limit_exceeded');

    const upgraded = await t.api.post('/v1/subscription/change', { planId: large.id, timing: 'now' }, { token: tenant.token });
    expect(upgraded.status).toBe(200);
    expect((await t.api.get('/v1/entitlements/api_calls', { token: key })).body).toMatchObject({
      used: 10,
      limit: 20,
      remaining: 10,
      allowed: true,
    });
    expect((await record(t, key, { metric: 'api_calls', quantity: 10 })).body).toMatchObject({
      used: 20,
      limit: 20,
      remaining: 0,
    });
    expectProblem(await record(t, key, { metric: 'api_calls' }), 403, 'limit_exceeded');
    expect((await counters(t, tenant.tenantId)).map((c) => c.used)).toEqual([20]);
  });

  it('answers 404 without a live subscription', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const key = (await t.api.post('/v1/api-keys', { name: 'k', mode: 'live' }, { token: tenant.token })).body.secret;
    expectProblem(await record(t, key, { metric: 'api_calls' }), 404, 'not_found');
    expectProblem(await t.api.get('/v1/entitlements/api_calls', { token: key }), 404, 'not_found');
    expectProblem(await t.api.get('/v1/usage', { token: key }), 404, 'not_found');
  });

  it('lets tenant admins record by JWT, not tenant users (403), and every member read', async () => {
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 10 }]);
    const tenant = await meteredTenant(t, plan.id);
    const user = await addMember(t.api, tenant, 'tenant_user');
    expect((await t.api.post('/v1/usage', { metric: 'api_calls' }, asAdmin(tenant))).status).toBe(201);
    expectProblem(
      await t.api.post('/v1/usage', { metric: 'api_calls' }, { token: user.token, tenant: tenant.tenantId }),
      403,
      'forbidden',
    );
    expect((await t.api.get('/v1/usage', { token: user.token })).status).toBe(200);
    expect(
      (
        await t.api.get('/v1/usage/history?metric=api_calls&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z', {
          token: user.token,
        })
      ).status,
    ).toBe(200);
    expect(await eventCount(t, tenant.tenantId)).toBe(1);
  });

  it('lets a platform admin read and record in any tenant, through the audited unit of work', async () => {
    const admin = await createPlatformAdmin(t);
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 10 }]);
    const tenant = await meteredTenant(t, plan.id);
    const asPlatform = { token: admin.token, tenant: tenant.tenantId };
    expect((await t.api.post('/v1/usage', { metric: 'api_calls', quantity: 2 }, asPlatform)).body).toMatchObject({ used: 2 });
    expect((await t.api.get('/v1/entitlements/api_calls', asPlatform)).body).toMatchObject({ used: 2, limit: 10 });
    expect((await t.api.get('/v1/usage', asPlatform)).body.metrics).toEqual([expect.objectContaining({ used: 2 })]);
    const audit = await ownerQuery(
      t,
      `select after->>'path' as path from audit_logs where action = 'platform.tenant.access' and actor_user_id = $1 order by created_at`,
      [admin.userId],
    );
    expect(audit.map((a) => a.path)).toEqual(['/v1/usage', '/v1/entitlements/api_calls', '/v1/usage']);
  });

  it('refuses bad reports with 400 and counts nothing', async () => {
    const plan = await meteredPlan(t, adminToken, [
      { metric: 'api_calls', limit: 1000 },
      { metric: 'storage_mb', limit: 1000 },
    ]);
    const tenant = await meteredTenant(t, plan.id);
    const bad: [object, string, Record<string, string>?][] = [
      [{}, 'metric'],
      [{ metric: 'API_CALLS' }, 'metric'],
      [{ metric: 'api calls' }, 'metric'],
      [{ metric: 42 }, 'metric'],
      [{ metric: 'api_calls', quantity: 0 }, 'quantity'],
      [{ metric: 'api_calls', quantity: -1 }, 'quantity'],
      [{ metric: 'api_calls', quantity: 1.5 }, 'quantity'],
      [{ metric: 'api_calls', quantity: '3' }, 'quantity'],
      [{ metric: 'api_calls', quantity: 1e10 }, 'quantity'],
      [{ metric: 'api_calls', quantity: null }, 'quantity'],
      [{ metric: 'storage_mb', operation: 'set', value: null }, 'value'],
      [{ metric: 'api_calls', operation: null }, 'operation'],
      [{ metric: 'api_calls', operation: 'reset' }, 'operation'],
      [{ metric: 'api_calls', operation: 'set', value: 3 }, 'operation'],
      [{ metric: 'storage_mb', operation: 'set' }, 'value'],
      [{ metric: 'storage_mb', operation: 'set', value: -1 }, 'value'],
      [{ metric: 'storage_mb', operation: 'set', value: 5, quantity: 5 }, 'quantity'],
      [{ metric: 'api_calls', value: 5 }, 'value'],
      [{ metric: 'api_calls', occurredAt: 'yesterday' }, 'occurredAt'],
      [{ metric: 'api_calls', occurredAt: new Date(Date.now() + 3600_000).toISOString() }, 'occurredAt'],
      [{ metric: 'api_calls', idempotencyKey: '' }, 'idempotencyKey'],
      [{ metric: 'api_calls', idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey'],
      [{ metric: 'api_calls', idempotencyKey: 'a' }, 'idempotencyKey', { 'idempotency-key': 'b' }],
      [{ metric: 'api_calls' }, 'Idempotency-Key', { 'idempotency-key': 'k'.repeat(256) }],
      [{ metric: 'api_calls', tenantId: tenant.tenantId }, 'tenantId'],
    ];
    for (const [body, field, headers] of bad) {
      const res = await record(t, tenant, body, { headers });
      const label = JSON.stringify(body).slice(0, 80);
      expect({ label, status: res.status, code: res.body.code }).toEqual({ label, status: 400, code: 'validation_failed' });
      expect({ label, fields: res.body.errors.map((e: { field: string }) => e.field) }).toEqual({
        label,
        fields: expect.arrayContaining([field]),
      });
    }
    const malformed = await t.api.request('POST', '/v1/usage', undefined, { token: tenant.key, raw: '{"metric": ' });
    expectProblem(malformed, 400, 'validation_failed');
    expectProblem(await t.api.get('/v1/entitlements/API-calls', { token: tenant.key }), 400, 'validation_failed');
    expectProblem(await t.api.get('/v1/entitlements/api_calls?quantity=0', { token: tenant.key }), 400, 'validation_failed');
    expectProblem(await t.api.get('/v1/entitlements/api_calls?quantity=x', { token: tenant.key }), 400, 'validation_failed');
    expect(await eventCount(t, tenant.tenantId)).toBe(0);
    expect(await counters(t, tenant.tenantId)).toEqual([]);
    // A past occurredAt is fine, and a little clock skew ahead too.
    expect((await record(t, tenant, { metric: 'api_calls', occurredAt: '2020-01-01T00:00:00Z' })).status).toBe(201);
    expect(
      (await record(t, tenant, { metric: 'api_calls', occurredAt: new Date(Date.now() + 60_000).toISOString() })).status,
    ).toBe(201);
  });

  describe('history', () => {
    let tenant: MeteredTenant;
    beforeAll(async () => {
      const plan = await meteredPlan(t, adminToken, [
        { metric: 'api_calls', limit: null },
        { metric: 'storage_mb', limit: 100 },
      ]);
      tenant = await meteredTenant(t, plan.id);
      const reports: [string, number][] = [
        ['2021-03-01T00:15:00Z', 2],
        ['2021-03-01T00:45:00Z', 3],
        ['2021-03-01T02:00:00Z', 5],
        ['2021-03-02T23:59:59.999Z', 7],
        ['2021-03-05T12:00:00Z', 11],
      ];
      for (const [occurredAt, quantity] of reports) await record(t, tenant, { metric: 'api_calls', quantity, occurredAt });
      await record(t, tenant, { metric: 'emails_sent', quantity: 100, occurredAt: '2021-03-01T00:30:00Z' });
    });

    it('sums a counter in zero-filled hour buckets over [from, to)', async () => {
      const res = await t.api.get(
        '/v1/usage/history?metric=api_calls&from=2021-03-01T00:30:00Z&to=2021-03-01T03:00:00Z&granularity=hour',
        {
          token: tenant.key,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        metric: 'api_calls',
        granularity: 'hour',
        from: '2021-03-01T00:30:00.000Z',
        to: '2021-03-01T03:00:00.000Z',
        buckets: [
          { start: '2021-03-01T00:00:00.000Z', quantity: 3, events: 1 },
          { start: '2021-03-01T01:00:00.000Z', quantity: 0, events: 0 },
          { start: '2021-03-01T02:00:00.000Z', quantity: 5, events: 1 },
        ],
      });
    });

    it('sums day buckets (the default granularity)', async () => {
      const res = await t.api.get('/v1/usage/history?metric=api_calls&from=2021-03-01T00:00:00Z&to=2021-03-06T00:00:00Z', {
        token: tenant.key,
      });
      expect(res.body.buckets).toEqual([
        { start: '2021-03-01T00:00:00.000Z', quantity: 10, events: 3 },
        { start: '2021-03-02T00:00:00.000Z', quantity: 7, events: 1 },
        { start: '2021-03-03T00:00:00.000Z', quantity: 0, events: 0 },
        { start: '2021-03-04T00:00:00.000Z', quantity: 0, events: 0 },
        { start: '2021-03-05T00:00:00.000Z', quantity: 11, events: 1 },
      ]);
      const emails = await t.api.get(
        '/v1/usage/history?metric=emails_sent&from=2021-03-01T00:00:00Z&to=2021-03-02T00:00:00Z',
        asAdmin(tenant),
      );
      expect(emails.body.buckets).toEqual([{ start: '2021-03-01T00:00:00.000Z', quantity: 100, events: 1 }]);
    });

    it('refuses bad ranges, unknown granularities and gauges', async () => {
      const get = (query: string) => t.api.get(`/v1/usage/history?${query}`, { token: tenant.key });
      for (const query of [
        'from=2021-03-01T00:00:00Z&to=2021-03-02T00:00:00Z',
        'metric=api_calls&to=2021-03-02T00:00:00Z',
        'metric=api_calls&from=2021-03-02T00:00:00Z&to=2021-03-01T00:00:00Z',
        'metric=api_calls&from=2021-03-01T00:00:00Z&to=2021-03-01T00:00:00Z',
        'metric=api_calls&from=2021-03-01T00:00:00Z&to=2021-06-01T00:00:00Z&granularity=hour',
        'metric=api_calls&from=2021-03-01T00:00:00Z&to=2021-03-02T00:00:00Z&granularity=minute',
        'metric=api_calls&from=yesterday&to=2021-03-02T00:00:00Z',
        'metric=storage_mb&from=2021-03-01T00:00:00Z&to=2021-03-02T00:00:00Z',
        'metric=api_calls&from=2021-03-01T00:00:00Z&to=2021-03-02T00:00:00Z&extra=1',
      ]) {
        const res = await get(query);
        expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 400, code: 'validation_failed' });
      }
    });

    it('reads one index range (index-only) for a tenant with many events', async () => {
      // 200 000 events of this tenant over 2022 and as many of another, as the owner, then fresh statistics.
      const insert = (tenantId: string, subscriptionId: string) =>
        ownerQuery(
          t,
          `insert into usage_events (tenant_id, id, subscription_id, metric, operation, quantity, occurred_at, recorded_at, period_start, used_after)
           select $1, gen_random_uuid(), $2, 'api_calls', 'increment', 1, timestamptz '2022-01-01' + i * interval '3 minutes', now(), now(), i
             from generate_series(1, 200000) i`,
          [tenantId, subscriptionId],
        );
      await insert(tenant.tenantId, tenant.subscription.id);
      await insert('00000000-0000-4000-8000-00000000beef', '00000000-0000-4000-8000-00000000beef');
      await ownerQuery(t, 'vacuum analyze usage_events');
      const started = Date.now();
      const res = await t.api.get('/v1/usage/history?metric=api_calls&from=2022-01-01T00:00:00Z&to=2022-02-01T00:00:00Z', {
        token: tenant.key,
      });
      const elapsed = Date.now() - started;
      expect(res.body.buckets).toHaveLength(31);
      // i × 3 min < 31 days: i = 1 … 14 879.
      expect(res.body.buckets.reduce((sum: number, b: { quantity: number }) => sum + b.quantity, 0)).toBe(14879);
      expect(res.body.buckets[1]).toEqual({ start: '2022-01-02T00:00:00.000Z', quantity: 480, events: 480 });
      expect(elapsed).toBeLessThan(2000);
      const plan = await ownerQuery<{ 'QUERY PLAN': string }>(
        t,
        `explain select date_trunc('day', e.occurred_at, 'UTC'), sum(e.quantity), count(*) from usage_events e
          where e.tenant_id = $1 and e.metric = 'api_calls' and e.occurred_at >= '2022-01-01' and e.occurred_at < '2022-02-01' group by 1`,
        [tenant.tenantId],
      );
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using usage_events_history_idx/);
    });
  });

  it('gives platform admins totals per metric across tenants, audited; others get 403', async () => {
    const admin = await createPlatformAdmin(t);
    const plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: null }]);
    const a = await meteredTenant(t, plan.id, 'Totals A');
    const b = await meteredTenant(t, plan.id, 'Totals B');
    await record(t, a, { metric: 'api_calls', quantity: 5, occurredAt: '2023-06-10T00:00:00Z' });
    await record(t, b, { metric: 'api_calls', quantity: 7, occurredAt: '2023-06-11T00:00:00Z' });
    await record(t, b, { metric: 'emails_sent', quantity: 1, occurredAt: '2023-06-11T00:00:00Z' });
    const range = 'from=2023-06-01T00:00:00Z&to=2023-07-01T00:00:00Z';
    const all = await t.api.get(`/v1/admin/usage?${range}`, { token: admin.token });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      from: '2023-06-01T00:00:00.000Z',
      to: '2023-07-01T00:00:00.000Z',
      metrics: [
        { metric: 'api_calls', quantity: 12, events: 2, tenants: 2 },
        { metric: 'emails_sent', quantity: 1, events: 1, tenants: 1 },
      ],
    });
    expect((await t.api.get(`/v1/admin/usage?${range}&tenantId=${a.tenantId}`, { token: admin.token })).body.metrics).toEqual([
      { metric: 'api_calls', quantity: 5, events: 1, tenants: 1 },
    ]);
    expect((await t.api.get(`/v1/admin/usage?${range}&metric=emails_sent`, { token: admin.token })).body.metrics).toEqual([
      { metric: 'emails_sent', quantity: 1, events: 1, tenants: 1 },
    ]);
    const audit = await ownerQuery(
      t,
      `select tenant_id, target_id from audit_logs where action = 'platform.usage.read' and actor_user_id = $1`,
      [admin.userId],
    );
    expect(audit).toHaveLength(3);
    expect(audit.filter((r) => r.tenant_id === a.tenantId)).toHaveLength(1);
    expectProblem(await t.api.get(`/v1/admin/usage?${range}`, { token: a.token }), 403, 'forbidden');
    expectProblem(await t.api.get(`/v1/admin/usage?${range}`, { token: a.key }), 403, 'forbidden');
    expectProblem(
      await t.api.get('/v1/admin/usage?from=2023-07-01T00:00:00Z&to=2023-06-01T00:00:00Z', { token: admin.token }),
      400,
      'validation_failed',
    );
    expectProblem(
      await t.api.get('/v1/admin/usage?from=2020-01-01T00:00:00Z&to=2023-06-01T00:00:00Z', { token: admin.token }),
      400,
      'validation_failed',
    );
    expectProblem(await t.api.get('/v1/admin/usage?tenantId=nope', { token: admin.token }), 400, 'validation_failed');
  });
});
