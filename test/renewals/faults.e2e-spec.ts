import { spawn, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { REDIS_URL } from '../support/env.js';
import { seedDueSubscriptions, seedPlan } from '../../scripts/seed-due.js';
import { RenewalService } from '../../src/modules/subscriptions/renewal.service.js';

/**
 * Exactly once under faults: duplicate enqueues, a Redis that loses everything between the scan
 * and the work, and a worker process killed in the middle of a renewal batch. Each ends with
 * one invoice and one charge per subscription and period.
 */
describe('renewals are billed exactly once under faults', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  async function seed(n: number): Promise<void> {
    const client = new pg.Client({ connectionString: t.ownerUrl });
    await client.connect();
    try {
      await seedDueSubscriptions(client, await seedPlan(client), n, new Date(Date.now() - 3600_000));
    } finally {
      await client.end();
    }
  }

  /** Invoices, successful payments and gateway charges (the mock provider's own durable records). */
  async function billing() {
    const [counts] = await ownerQuery<{
      subs: number;
      invoices: number;
      max_per_sub: number;
      paid: number;
      due: number;
      charges: number;
    }>(
      t,
      `select (select count(*)::int from subscriptions) as subs,
              (select count(*)::int from invoices) as invoices,
              (select coalesce(max(n), 0)::int from (select count(*) as n from invoices group by subscription_id, period_start) x) as max_per_sub,
              (select count(*)::int from payments where status = 'succeeded') as paid,
              (select count(*)::int from subscriptions where current_period_end <= now()) as due,
              (select count(*)::int from mock_gateway.charges where refunded_at is null) as charges`,
    );
    return counts;
  }

  const renewalsQueue = () => t.app.get<Queue>(getQueueToken('renewals'), { strict: false });

  it('ignores duplicate enqueues', async () => {
    t = await startTestApp();
    await seed(40);
    const subs = await ownerQuery<{ id: string; tenant_id: string }>(t, 'select id, tenant_id from subscriptions');
    // The same work three times over: twice under one id, and under random ids; and sweeps besides.
    const jobs = subs.flatMap((s) => [
      { name: 'renew-due', data: { tenantId: s.tenant_id, subscriptionId: s.id }, opts: { jobId: `renew-${s.id}` } },
      { name: 'renew-due', data: { tenantId: s.tenant_id, subscriptionId: s.id }, opts: { jobId: `renew-${s.id}` } },
      { name: 'renew-due', data: { tenantId: s.tenant_id, subscriptionId: s.id }, opts: { jobId: randomUUID() } },
      { name: 'renew-due', data: {}, opts: { jobId: randomUUID() } },
    ]);
    await renewalsQueue().addBulk(jobs);
    await t.startWorker();
    const done = await eventually(async () => {
      const b = await billing();
      // Every duplicate has run (the scheduler's next scan waits as a delayed job and is not counted).
      const counts = await renewalsQueue().getJobCounts('waiting', 'active');
      return b.due === 0 && counts.waiting + counts.active === 0 && b;
    }, 20_000);
    expect(done).toEqual({ subs: 40, invoices: 40, max_per_sub: 1, paid: 40, due: 0, charges: 40 });
  });

  it('rebuilds lost work when Redis is flushed between the scan and the processing', async () => {
    t = await startTestApp();
    await seed(40);
    const found = await t.app.get(RenewalService).scan();
    expect(found.renewals).toBe(40);
    // One sweep: 40 due subscriptions fit one batch.
    expect(await renewalsQueue().getWaitingCount()).toBe(1);
    // Redis loses everything of this platform: queued jobs, schedulers, the clock.
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${t.config.REDIS_PREFIX}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    expect(await renewalsQueue().getWaitingCount()).toBe(0);
    expect((await billing()).invoices).toBe(0);

    // The worker starts and its scheduler scans the database again: the work is rebuilt.
    await t.startWorker();
    const done = await eventually(async () => {
      const b = await billing();
      return b.invoices === 40 && b.due === 0 && b;
    }, 20_000);
    expect(done).toEqual({ subs: 40, invoices: 40, max_per_sub: 1, paid: 40, due: 0, charges: 40 });
  });

  it('finishes a batch cut short by a killed worker process, without a second invoice or charge', async () => {
    t = await startTestApp({ JOB_LOCK_MS: '1000' });
    const n = 600;
    await seed(n);
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: t.appUrl,
      DATABASE_OWNER_URL: t.ownerUrl,
      REDIS_URL,
      REDIS_PREFIX: t.config.REDIS_PREFIX,
      JOB_LOCK_MS: '1000',
      RENEWAL_BATCH_SIZE: '10',
      RENEWAL_SCAN_EVERY_MS: '1000',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'silent',
    };
    const startWorker = (): ChildProcess => spawn(process.execPath, ['dist/src/worker.js'], { env, stdio: 'ignore' });

    const first = startWorker();
    const atKill = await eventually(async () => {
      const b = await billing();
      return b.invoices > 0 && b;
    }, 20_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const afterKill = await billing();
    expect(afterKill.invoices).toBeLessThan(n); // killed in the middle of the work

    const second = startWorker();
    try {
      const done = await eventually(async () => {
        const b = await billing();
        return b.due === 0 && b.invoices === n && b;
      }, 90_000);
      expect(done).toEqual({ subs: n, invoices: n, max_per_sub: 1, paid: n, due: 0, charges: n });
      expect(atKill.invoices).toBeGreaterThan(0);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
  }, 150_000);
});
