/**
 * `npm run bench:renewals [-- --n 10000]`: seeds N due subscriptions (one per tenant) in a scratch
 * database, runs the worker's renewal scan to completion and reports renewals per second and the
 * invoices created (must equal N). In the same run it times the ceiling: the same renewal written
 * as set-based SQL executed directly through `pg`, in chunks of 1,000 with SKIP LOCKED.
 * Last lines: `renewals_per_s=<n>` and `renewals_vs_raw_sql=<ratio>`.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { databaseUrl, ensureDatabase, migrate } from '../src/database/setup.js';
import { seedDueSubscriptions, seedPlan } from './seed-due.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '10000' } } });
const N = Number(values.n);
const OWNER = process.env.BENCH_DATABASE_OWNER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const APP_USER = 'eshtarek_app';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const database = `eshtarek_bench_${process.pid}`;
const prefix = `bench:${process.pid}`;

const url = (db: string, user?: string) => databaseUrl(OWNER, db, user);

async function owner<T>(work: (c: pg.Client) => Promise<T>, db = database): Promise<T> {
  const client = new pg.Client({ connectionString: url(db) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const count = (sql: string) => owner(async (c) => Number((await c.query(sql)).rows[0].n));

/** The renewal of one chunk, as plain set-based SQL: the ceiling for what the worker does. */
const RAW_RENEWAL = `
  with due as (
    select s.id, s.tenant_id, s.current_period_end as start, s.current_period_end + interval '1 month' as finish, v.price_amount
      from subscriptions s join plan_versions v on v.id = s.plan_version_id
     where s.status = 'active' and s.current_period_end <= now()
     order by s.current_period_end limit 1000
     for update of s skip locked
  ), num as (
    insert into tenant_counters (tenant_id, name, value) select tenant_id, 'invoice', 1 from due
    on conflict (tenant_id, name) do update set value = tenant_counters.value + 1
    returning tenant_id, value
  ), inv as (
    insert into invoices (id, tenant_id, number, subscription_id, billing_reason, status, currency, subtotal_amount,
                          total_amount, period_start, period_end, attempt_count, paid_at, created_at, updated_at)
    select gen_random_uuid(), d.tenant_id, 'INV-' || lpad(n.value::text, 6, '0'), d.id, 'subscription_cycle', 'paid', 'USD',
           d.price_amount, d.price_amount, d.start, d.finish, 1, now(), now(), now()
      from due d join num n on n.tenant_id = d.tenant_id
    returning id, tenant_id, total_amount, period_start, period_end
  ), lines as (
    insert into invoice_lines (id, tenant_id, invoice_id, position, kind, description, amount, period_start, period_end)
    select gen_random_uuid(), tenant_id, id, 0, 'subscription', 'Bench', total_amount, period_start, period_end from inv
  ), pay as (
    insert into payments (id, tenant_id, invoice_id, amount, currency, status, attempt, created_at)
    select gen_random_uuid(), tenant_id, id, total_amount, 'USD', 'succeeded', 1, now() from inv
  ), upd as (
    update subscriptions s set current_period_start = d.start, current_period_end = d.finish,
           cycles_billed = s.cycles_billed + 1, cycles_on_version = s.cycles_on_version + 1, updated_at = now()
      from due d where s.id = d.id
  )
  select count(*)::int as n from due`;

async function main(): Promise<void> {
  console.log(`bench:renewals N=${N} (database ${database})`);
  await ensureDatabase(url(database), url(database, APP_USER));
  await migrate(url(database));
  const past = new Date(Date.now() - 3600_000);
  const plan = await owner((c) => seedPlan(c));

  // 1. The platform: the worker's scan and renew-due sweeps, as in production.
  await owner((c) => seedDueSubscriptions(c, plan, N, past));
  Object.assign(process.env, {
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    // Production refuses a missing or published admin password (no one signs in here).
    PLATFORM_ADMIN_PASSWORD: randomBytes(24).toString('base64url'),
    DATABASE_URL: url(database, APP_USER),
    DATABASE_OWNER_URL: url(database),
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    RENEWAL_BATCH_SIZE: process.env.RENEWAL_BATCH_SIZE ?? '1000',
    RENEWAL_SCAN_EVERY_MS: '3600000',
  });
  const { NestFactory } = await import('@nestjs/core');
  const { getQueueToken } = await import('@nestjs/bullmq');
  const { WorkerModule } = await import('../src/worker.module.js');
  const { QUEUES } = await import('../src/jobs/queues.js');
  const { RENEWAL_SCAN_JOB } = await import('../src/modules/subscriptions/subscriptions.jobs.js');
  const worker = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  await worker.init();
  const queue = worker.get(getQueueToken(QUEUES.renewals), { strict: false });
  const t0 = performance.now();
  await queue.add(RENEWAL_SCAN_JOB, {}, { jobId: `bench-scan-${Date.now()}` });
  const renewed = () => count(`select count(*) as n from invoices where billing_reason = 'subscription_cycle'`);
  while ((await renewed()) < N) await new Promise((r) => setTimeout(r, 20));
  const invoices = await renewed();
  const platformSeconds = (performance.now() - t0) / 1000;
  await worker.close();
  const charges = await count('select count(*) as n from mock_gateway.charges');

  // 2. The ceiling: the same renewal SQL straight through pg, on a fresh set of N due subscriptions.
  await owner((c) => c.query(`update subscriptions set status = 'cancelled'`));
  await owner((c) => seedDueSubscriptions(c, plan, N, past));
  const t1 = performance.now();
  await owner(async (c) => {
    for (;;) {
      await c.query('begin');
      const { rows } = await c.query(RAW_RENEWAL);
      await c.query('commit');
      if (rows[0].n === 0) break;
    }
  });
  const rawSeconds = (performance.now() - t1) / 1000;

  const platformRate = N / platformSeconds;
  const rawRate = N / rawSeconds;
  console.table([
    {
      path: 'worker (scan → renew-due sweeps → set-based batches, charges, audit)',
      renewals: N,
      seconds: +platformSeconds.toFixed(2),
      per_s: Math.round(platformRate),
    },
    {
      path: 'raw SQL through pg (same writes, no charges/audit)',
      renewals: N,
      seconds: +rawSeconds.toFixed(2),
      per_s: Math.round(rawRate),
    },
  ]);
  console.log(`invoices_created=${invoices} (expected ${N}) gateway_charges=${charges}`);

  await owner((c) => c.query(`drop database if exists ${database} with (force)`), 'postgres');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  redis.disconnect();
  console.log(`renewals_per_s=${Math.round(platformRate)}`);
  console.log(`renewals_vs_raw_sql=${(platformRate / rawRate).toFixed(2)}`);
  if (invoices !== N) process.exitCode = 1;
  process.exit();
}

await main();
