import pg from 'pg';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { seedDueSubscriptions, seedPlan } from '../../scripts/seed-due.js';
import type { ApiResponse } from '../support/client.js';
import { TestRedis } from '../support/redis-server.js';
import {
  as,
  addCard,
  createApiKey,
  createPlan,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  expectProblem,
  PASSWORD,
  registerUser,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/** Runs a request with a deadline, so that a request that hangs on Redis fails the test instead of stalling it. */
async function timed<T>(call: (signal: AbortSignal) => Promise<T>, deadlineMs = 5000): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await call(AbortSignal.timeout(deadlineMs));
  return { result, ms: Math.round(performance.now() - started) };
}

async function request(
  t: TestApp,
  method: string,
  path: string,
  body: unknown,
  signal: AbortSignal,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    signal,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined } as ApiResponse;
}

const auth = (tenant: { token: string; tenantId?: string }) => ({
  authorization: `Bearer ${tenant.token}`,
  ...(tenant.tenantId ? { 'x-tenant-id': tenant.tenantId } : {}),
});

/** A 503 `service_unavailable` problem with Retry-After, never an opaque 500. */
function expectUnavailable(res: ApiResponse): void {
  expectProblem(res, 503, 'service_unavailable');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

/**
 * Redis is an accelerator: with it down or hung, every route that does not need it answers as
 * usual, the ones that do answer 503 with Retry-After at once, and nothing waits on a queue.
 */
describe('with Redis down', () => {
  let redis: TestRedis;
  let t: TestApp;
  let tenant: TenantWithAdmin;
  let user: { email: string };
  let plans: { basic: string; pro: string };

  beforeAll(async () => {
    redis = await TestRedis.start();
    t = await startTestApp(
      { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500', RENEWAL_SCAN_EVERY_MS: '1000', OUTBOX_POLL_EVERY_MS: '200' },
      {
        worker: true,
      },
    );
    const admin = await createPlatformAdmin(t);
    plans = {
      basic: (await createPlan(t.api, admin.token, { name: 'Basic', priceAmount: 1000 })).id,
      pro: (await createPlan(t.api, admin.token, { name: 'Pro', priceAmount: 3000 })).id,
    };
    tenant = await createTenantWithAdmin(t.api, 'Outage Ltd');
    await addCard(t.api, tenant);
    await subscribe(t.api, tenant, plans.basic);
    user = await registerUser(t.api);
  });
  // Closing waits for the worker's active jobs (a maintenance run starts whenever Redis comes back empty).
  afterAll(async () => {
    await redis?.up();
    await t?.close();
    await redis?.stop();
  }, 60_000);

  describe('(killed)', () => {
    beforeAll(() => redis.down());
    afterAll(() => redis.up());

    it('readiness answers 503 naming Redis within a second; liveness stays 200', async () => {
      const { result: ready, ms } = await timed((signal) => request(t, 'GET', '/health/ready', undefined, signal));
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down' } },
        info: { database: { status: 'up' } },
      });
      expect(ms).toBeLessThan(1000);
      expect((await t.api.get('/health/live')).status).toBe(200);
    });

    it('sign-in answers 503 with Retry-After within a second (the attempt counter is out of reach)', async () => {
      for (const password of [PASSWORD, 'wrong-password-123']) {
        const { result, ms } = await timed((signal) =>
          request(t, 'POST', '/v1/auth/login', { email: user.email, password }, signal),
        );
        expectUnavailable(result);
        expect(ms).toBeLessThan(1000);
      }
    });

    it('throttled routes never answer 500: registration is refused for now, creations are let through', async () => {
      const { result: register, ms } = await timed((signal) =>
        request(t, 'POST', '/v1/auth/register', { email: 'new-person@example.test', password: PASSWORD, name: 'New' }, signal),
      );
      expectUnavailable(register);
      expect(ms).toBeLessThan(1000);
      // Creation limits fail open: a signed-in user still creates a tenant.
      const { result: created } = await timed((signal) =>
        request(t, 'POST', '/v1/tenants', { name: 'During the outage' }, signal, auth(tenant)),
      );
      expect(created.status).toBe(201);
    });

    it('routes that do not need Redis answer as usual', async () => {
      const key = await createApiKey(t.api, tenant);
      const answers = await Promise.all([
        t.api.get('/v1/auth/me', { token: tenant.token }),
        t.api.get('/v1/plans', { token: tenant.token }),
        t.api.get('/v1/subscription', { token: tenant.token, tenant: tenant.tenantId }),
        t.api.get('/v1/invoices', { token: tenant.token, tenant: tenant.tenantId }),
        t.api.post('/v1/usage', { metric: 'api_calls', quantity: 1 }, { token: key.secret }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 201]);
    });

    it('a plan change answers at once, and its invoice is collected once Redis is back', async () => {
      const { result: change, ms } = await timed((signal) =>
        request(t, 'POST', '/v1/subscription/change', { planId: plans.pro, timing: 'now' }, signal, auth(tenant)),
      );
      expect(change.status).toBe(200);
      expect(ms).toBeLessThan(1000);
      const [invoice] = await ownerQuery<{ id: string; status: string }>(
        t,
        `select id, status from invoices where tenant_id = $1 and billing_reason = 'subscription_update'`,
        [tenant.tenantId],
      );
      expect(invoice.status).toBe('open');

      await redis.up(); // empty: the queued work never existed there
      const paid = await eventually(async () => {
        const [row] = await ownerQuery<{ status: string; payments: number }>(
          t,
          `select i.status, (select count(*)::int from payments p where p.invoice_id = i.id and p.status = 'succeeded') as payments
             from invoices i where i.id = $1`,
          [invoice.id],
        );
        return row.status === 'paid' && row;
      }, 15_000);
      expect(paid).toEqual({ status: 'paid', payments: 1 });
      await redis.down();
    });

    it('a card charge does not need Redis: the mock provider keeps its own durable store', async () => {
      const asTenant = as(tenant);
      expect((await t.api.post('/v1/subscription/cancel', { atPeriodEnd: false }, asTenant)).status).toBe(200);
      const subscribed = await t.api.post('/v1/subscription', { planId: plans.pro }, asTenant);
      expect(subscribed.status).toBe(201);
      const [{ n }] = await ownerQuery<{ n: number }>(
        t,
        `select count(*)::int as n from payments where tenant_id = $1 and status = 'succeeded' and amount = 3000`,
        [tenant.tenantId],
      );
      expect(n).toBe(1);
    });
  });

  describe('(hung: connections open, nothing answers)', () => {
    beforeAll(() => redis.freeze());
    afterAll(() => redis.thaw());

    it('readiness and sign-in still answer 503 within a second', async () => {
      const { result: ready, ms: readyMs } = await timed((signal) => request(t, 'GET', '/health/ready', undefined, signal));
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ error: { redis: { status: 'down' } } });
      expect(readyMs).toBeLessThan(1000);
      const { result: login, ms: loginMs } = await timed((signal) =>
        request(t, 'POST', '/v1/auth/login', { email: user.email, password: PASSWORD }, signal),
      );
      expectUnavailable(login);
      expect(loginMs).toBeLessThan(1000);
    });
  });

  it('is ready again and signs in once Redis is back', async () => {
    await eventually(async () => (await t.api.get('/health/ready')).status === 200, 10_000);
    expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
  });
});

/**
 * Redis keeps nothing that matters: after it loses everything (FLUSHALL), the database is enough
 * for every renewal, warning and scheduler to come back within one scan interval.
 */
describe('after Redis loses everything', () => {
  let redis: TestRedis;
  let t: TestApp;
  let adminToken: string;

  beforeEach(async () => {
    redis = await TestRedis.start();
    t = await startTestApp({
      REDIS_URL: redis.url,
      CLOCK_CONTROL: 'true',
      RENEWAL_SCAN_EVERY_MS: '1000',
      OUTBOX_POLL_EVERY_MS: '200',
    });
    adminToken = (await createPlatformAdmin(t)).token;
  });
  afterEach(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('keeps the clock: renewals due on the moved clock are billed once, after a flush and with Redis down meanwhile', async () => {
    const plan = (await createPlan(t.api, adminToken, { priceAmount: 1500 })).id;
    for (let i = 0; i < 3; i++) {
      const tenant = await createTenantWithAdmin(t.api, `Renewing ${i}`);
      await addCard(t.api, tenant);
      await subscribe(t.api, tenant, plan);
    }
    // And 200 more, due 10 days from now (real time): only the moved clock makes them due.
    const client = new pg.Client({ connectionString: t.ownerUrl });
    await client.connect();
    try {
      await seedDueSubscriptions(client, await seedPlan(client), 200, new Date(Date.now() + 10 * 24 * 3600_000));
    } finally {
      await client.end();
    }
    const target = new Date(Date.now() + 35 * 24 * 3600_000).toISOString();
    const moved = await t.api.request('PUT', '/v1/admin/clock', { now: target }, { token: adminToken });
    expect(moved.status).toBe(200);
    await redis.flushAll();
    await redis.down();
    // A worker started while Redis is down waits for it, then finds the due work in the database.
    const starting = t.startWorker();
    await redis.dialled();
    await redis.up();
    await starting;
    const recovered = performance.now();
    const billed = await eventually(async () => {
      const rows = await ownerQuery<{ cycles: number; succeeded: number; due: number }>(
        t,
        `select (select count(*)::int from invoices where billing_reason = 'subscription_cycle') as cycles,
                (select count(*)::int from payments where status = 'succeeded') as succeeded,
                (select count(*)::int from subscriptions where current_period_end <= $1) as due`,
        [target],
      );
      return rows[0].cycles === 203 && rows[0].due === 0 && rows[0];
    }, 20_000);
    const elapsed = performance.now() - recovered;
    // Three first charges and 203 renewals; no period billed twice.
    expect(billed).toEqual({ cycles: 203, succeeded: 206, due: 0 });
    const [{ max }] = await ownerQuery<{ max: number }>(
      t,
      `select max(n)::int as max from (select count(*) as n from invoices group by subscription_id, period_start) x`,
    );
    expect(max).toBe(1);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('records a limit warning that was pending when Redis was flushed', async () => {
    const policy = await createPolicy(t.api, adminToken, 'api_calls', 100);
    const plan = (await createPlan(t.api, adminToken, { priceAmount: 0, policyIds: [policy.id] })).id;
    const tenant = await createTenantWithAdmin(t.api, 'Warned');
    await subscribe(t.api, tenant, plan);
    const key = await createApiKey(t.api, tenant);
    const used = await t.api.post('/v1/usage', { metric: 'api_calls', quantity: 85 }, { token: key.secret });
    expect(used.status).toBe(201);
    await redis.flushAll();
    await t.startWorker();
    const warnings = await eventually(async () => {
      const rows = await ownerQuery<{ threshold: number }>(t, `select threshold from notifications where tenant_id = $1`, [
        tenant.tenantId,
      ]);
      return rows.length > 0 && rows;
    }, 15_000);
    expect(warnings).toEqual([{ threshold: 80 }]);
  });

  it('recreates every job scheduler (renewal scan, maintenance and session purge) after a flush', async () => {
    const worker = await t.startWorker();
    const { getQueueToken } = await import('@nestjs/bullmq');
    const queue = (name: string) => worker.get(getQueueToken(name), { strict: false });
    expect(await queue('maintenance').getJobScheduler('purge-expired')).toBeTruthy();
    expect(await queue('sessions').getJobScheduler('purge-ended')).toBeTruthy();
    await redis.flushAll();
    const back = await eventually(async () => {
      const [maintenance, renewals, sessions] = await Promise.all([
        queue('maintenance').getJobScheduler('purge-expired'),
        queue('renewals').getJobScheduler('renewal-scan'),
        queue('sessions').getJobScheduler('purge-ended'),
      ]);
      return !!maintenance && !!renewals && !!sessions && { maintenance: true, renewals: true, sessions: true };
    }, 10_000);
    expect(back).toEqual({ maintenance: true, renewals: true, sessions: true });
  });
});
