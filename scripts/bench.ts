/**
 * `npm run bench`: the metering hot path under load, against its ceilings, on a scratch database.
 *
 * Starts the API (`dist/src/main.js`, as `npm start` runs it) on a new database and Redis prefix,
 * seeds tenants with subscriptions and API keys through the API, then measures with autocannon
 * (50 connections, BENCH_DURATION seconds each, default 10, after a warm-up):
 *   - POST /v1/usage by API key          vs the same SQL through `pg` at the same concurrency
 *   - GET /v1/entitlements/:metric by key vs the same SQL through `pg` (and a bare NestJS endpoint)
 *   - GET /v1/subscription by JWT         vs the entitlement read
 *   - POST /v1/usage over two API processes vs one
 * and prints req/s, p50/p99 latency and the ratio to the ceiling, then the figures as `name=value`
 * lines, `api_rss_mb_after=` last. Everything it created is dropped at the end.
 *
 * Settings (environment): BENCH_DURATION, BENCH_CONNECTIONS (50), BENCH_TENANTS (50),
 * BENCH_POOL_SIZE (20, the API's DATABASE_POOL_SIZE and the raw-SQL pool alike),
 * BENCH_OWNER_URL (postgres://postgres@127.0.0.1:5432/postgres), BENCH_APP_USER (eshtarek_app),
 * REDIS_URL. The API logs at `warn` (per-request logging is measured separately if wanted with
 * BENCH_LOG_LEVEL=info).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../src/config/config.js';
import { apiNodeFlags } from '../src/memory-budget.js';
import { databaseUrl, ensureDatabase, installCredentialSeal, migrate } from '../src/database/setup.js';
import { StatementBatcher } from '../src/database/statement-batcher.js';
import {
  ENTITLEMENT_BATCH,
  ENTITLEMENT_ONE,
  entitlementBatchValues,
  type EntitlementItem,
  entitlementValues,
  RECORD_BATCH,
  RECORD_ONE,
  recordBatchValues,
  type RecordItem,
  recordValues,
} from '../src/modules/metering/usage.repository.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Math.min(3, DURATION);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 50);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 20);
const OWNER_URL = process.env.BENCH_OWNER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const APP_USER = process.env.BENCH_APP_USER ?? 'eshtarek_app';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'bench-password-123';

// The API's batching settings (METERING_BATCH_IN_FLIGHT, METERING_BATCH_MAX from the environment it inherits).
const settings = loadConfig({
  METERING_BATCH_IN_FLIGHT: process.env.METERING_BATCH_IN_FLIGHT,
  METERING_BATCH_MAX: process.env.METERING_BATCH_MAX,
});
const BATCHING = { maxInFlight: settings.METERING_BATCH_IN_FLIGHT, maxItems: settings.METERING_BATCH_MAX };

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

const dbUrl = (database: string, user?: string) => databaseUrl(OWNER_URL, database, user);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

// ---------------------------------------------------------------------------------------------
// The bare NestJS endpoint: the same framework and adapter, one route, no guard, no database.

@Controller()
class BareController {
  @Get('bare')
  bare() {
    return { ok: true };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function serveBare(port: number): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter({ logger: false }), {
    logger: false,
  });
  await app.listen({ port, host: '127.0.0.1' });
}

// ---------------------------------------------------------------------------------------------

interface Measure {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function cannon(
  name: string,
  url: string,
  options: { method?: string; body?: string; connections?: number; headers: (i: number) => Record<string, string> },
): Promise<Measure> {
  const run = (duration: number) => {
    let connection = 0;
    return autocannon({
      url,
      connections: options.connections ?? CONNECTIONS,
      duration,
      method: options.method ?? 'GET',
      ...(options.body ? { body: options.body } : {}),
      setupClient: (client) => {
        const headers = options.headers(connection++);
        if (options.body) client.setHeadersAndBody({ 'content-type': 'application/json', ...headers }, options.body);
        else client.setHeaders(headers);
      },
    });
  };
  log(`${name}: warm-up ${WARMUP} s`);
  await run(WARMUP);
  log(`${name}: ${DURATION} s`);
  const result: Result = await run(DURATION);
  const errors = result.errors + result.timeouts + result.non2xx;
  return { name, rps: result['2xx'] / DURATION, p50: result.latency.p50, p99: result.latency.p99, errors };
}

/**
 * The SQL alone: CONNECTIONS loops at once through `pg`, with a pool of the API's size, each loop
 * waiting for its answer before the next call (as an HTTP connection does). `call` runs one request's
 * worth of SQL — either one statement per call, or the API's own batcher and batch statement.
 */
async function rawSql(name: string, appUrl: string, call: (pool: pg.Pool, i: number) => Promise<unknown>): Promise<Measure> {
  const pool = new pg.Pool({ connectionString: appUrl, max: POOL_SIZE });
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, i) => {
        while (performance.now() < end) {
          const started = performance.now();
          try {
            await call(pool, i);
            latencies.push(performance.now() - started);
          } catch {
            errors++;
          }
        }
      }),
    );
    return { latencies, errors };
  };
  try {
    log(`${name}: warm-up ${WARMUP} s`);
    await run(WARMUP);
    log(`${name}: ${DURATION} s`);
    const { latencies, errors } = await run(DURATION);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return { name, rps: latencies.length / DURATION, p50: at(0.5), p99: at(0.99), errors };
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------

interface Seeded {
  tenantId: string;
  token: string;
  key: string;
  keyId: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- seeding reads a few fields of API answers
async function call(base: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function seed(base: string, ownerUrl: string): Promise<Seeded[]> {
  const suffix = process.pid;
  const admin = await call(base, 'POST', '/v1/auth/register', {
    email: `admin-${suffix}@bench.test`,
    password: PASSWORD,
    name: 'Admin',
  });
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query('update users set is_platform_admin = true where id = $1', [admin.user.id]);
  await owner.end();
  const adminToken = admin.accessToken;
  // A limit no run reaches, so that every write is a real conditional update that succeeds.
  const calls = await call(
    base,
    'POST',
    '/v1/policies',
    { metric: 'api_calls', limit: 1_000_000_000_000, enforcement: 'hard' },
    adminToken,
  );
  const seats = await call(base, 'POST', '/v1/policies', { metric: 'max_users', limit: 10 }, adminToken);
  const plan = await call(
    base,
    'POST',
    '/v1/plans',
    {
      code: `bench-${suffix}`,
      name: 'Bench',
      priceAmount: 0,
      currency: 'USD',
      interval: 'month',
      policyIds: [calls.id, seats.id],
    },
    adminToken,
  );
  const tenants: Seeded[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const user = await call(base, 'POST', '/v1/auth/register', {
      email: `t${i}-${suffix}@bench.test`,
      password: PASSWORD,
      name: `Tenant ${i}`,
    });
    const tenant = await call(base, 'POST', '/v1/tenants', { name: `Bench tenant ${i}` }, user.accessToken);
    await call(base, 'POST', '/v1/subscription', { planId: plan.id }, user.accessToken);
    const key = await call(base, 'POST', '/v1/api-keys', { name: 'bench', mode: 'live' }, user.accessToken);
    tenants.push({ tenantId: tenant.id, token: user.accessToken, key: key.secret, keyId: key.id });
  }
  return tenants;
}

// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toFixed(digits);

function table(rows: { measure: Measure; ceiling?: Measure; target?: string }[]): string {
  const header = ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ceiling', 'ratio', 'target'];
  const lines = rows.map(({ measure, ceiling, target }) => [
    measure.name,
    fmt(measure.rps),
    fmt(measure.p50, 2),
    fmt(measure.p99, 2),
    String(measure.errors),
    ceiling ? ceiling.name : '',
    ceiling ? fmt(measure.rps / ceiling.rps, 2) : '',
    target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

async function main(): Promise<void> {
  const database = `eshtarek_bench_${process.pid}`;
  const ownerUrl = dbUrl(database);
  const appUrl = dbUrl(database, APP_USER);
  const prefix = `bench-${process.pid}`;
  const children: ChildProcess[] = [];
  log(`scratch database ${database}, Redis prefix ${prefix}`);
  try {
    await ensureDatabase(ownerUrl, appUrl);
    await migrate(ownerUrl);
    const jwtSecret = `bench-only-secret-${process.pid}-0123456789abcdefghijklmnop`;
    await installCredentialSeal(ownerUrl, jwtSecret);

    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    // BENCH_HEAP_SNAPSHOTS=1: snapshots of the API's heap before and after the runs (each taken after a full GC).
    const heapDir = process.env.BENCH_HEAP_SNAPSHOTS ? mkdtempSync(join(tmpdir(), 'eshtarek-heap-')) : null;
    if (heapDir) profile.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`);
    // As `npm start` runs it: with the API's memory budget (src/memory-budget.ts).
    const startApi = async (): Promise<{ api: ChildProcess; base: string }> => {
      const port = await freePort();
      const api = spawn(
        process.execPath,
        [...apiNodeFlags(process.env.NODE_OPTIONS ?? ''), ...profile, fileURLToPath(new URL('../src/main.js', import.meta.url))],
        {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: {
            ...process.env,
            NODE_ENV: 'production',
            JWT_SECRET: jwtSecret,
            // Production refuses a missing or published admin password; the bench signs in as its own admin.
            PLATFORM_ADMIN_PASSWORD: adminPassword,
            PORT: String(port),
            DATABASE_URL: appUrl,
            DATABASE_OWNER_URL: ownerUrl,
            DATABASE_POOL_SIZE: String(POOL_SIZE),
            REDIS_URL,
            REDIS_PREFIX: prefix,
            LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
            SEED_DEMO: 'false',
          },
        },
      );
      children.push(api);
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}/health/ready`, api);
      return { api, base };
    };
    const adminPassword = randomBytes(24).toString('base64url');
    const { api, base } = await startApi();
    const rssBefore = rssMb(api.pid!);
    const heapBefore = heapDir ? await liveHeapMb(api, heapDir) : null;

    const barePort = await freePort();
    const bare = spawn(process.execPath, [fileURLToPath(import.meta.url), '--bare', String(barePort)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(bare);
    await waitFor(`http://127.0.0.1:${barePort}/bare`, bare);

    log(`seeding ${TENANTS} tenants (subscription + API key each)`);
    const tenants = await seed(base, ownerUrl);
    const tenantOf = (i: number) => tenants[i % tenants.length];

    const bareEndpoint = await cannon('GET bare NestJS endpoint', `http://127.0.0.1:${barePort}/bare`, { headers: () => ({}) });
    const record = await cannon('POST /v1/usage (API key)', `${base}/v1/usage`, {
      method: 'POST',
      body: JSON.stringify({ metric: 'api_calls' }),
      headers: (i) => ({ authorization: `Bearer ${tenantOf(i).key}` }),
    });
    const recordItem = (i: number): RecordItem => {
      const t = tenantOf(i);
      return {
        tenantId: t.tenantId,
        apiKeyId: t.keyId,
        touch: false,
        metric: 'api_calls',
        operation: 'increment',
        amount: 1,
        occurredAt: new Date(),
        idempotencyKey: null,
        requestHash: null,
        eventId: uuidv7(),
      };
    };
    let recordBatcher: StatementBatcher<RecordItem, unknown> | undefined;
    const recordSql = await rawSql('meter_record_batch via pg', appUrl, (pool, i) => {
      recordBatcher ??= new StatementBatcher(
        async (items) =>
          (await pool.query({ name: RECORD_BATCH.name, text: RECORD_BATCH.text, values: recordBatchValues(items, new Date()) }))
            .rows,
        { ...BATCHING, lockOrder: (item) => `${item.tenantId}:${item.metric}` },
      );
      return recordBatcher.submit(recordItem(i));
    });
    recordBatcher = undefined;
    const recordSingleSql = await rawSql('meter_record via pg, unbatched', appUrl, (pool, i) => {
      return pool.query({ name: 'bench_meter_record', text: RECORD_ONE.text, values: recordValues(recordItem(i), new Date()) });
    });
    const entitlement = await cannon('GET /v1/entitlements/api_calls (API key)', `${base}/v1/entitlements/api_calls`, {
      headers: (i) => ({ authorization: `Bearer ${tenantOf(i).key}` }),
    });
    const entitlementItem = (i: number): EntitlementItem => {
      const t = tenantOf(i);
      return { tenantId: t.tenantId, apiKeyId: t.keyId, touch: false, metric: 'api_calls' };
    };
    let entitlementBatcher: StatementBatcher<EntitlementItem, unknown> | undefined;
    const entitlementSql = await rawSql('meter_entitlement_batch via pg', appUrl, (pool, i) => {
      entitlementBatcher ??= new StatementBatcher(
        async (items) =>
          (
            await pool.query({
              name: ENTITLEMENT_BATCH.name,
              text: ENTITLEMENT_BATCH.text,
              values: entitlementBatchValues(items, new Date()),
            })
          ).rows,
        BATCHING,
      );
      return entitlementBatcher.submit(entitlementItem(i));
    });
    const entitlementSingleSql = await rawSql('meter_entitlement via pg, unbatched', appUrl, (pool, i) => {
      const values = entitlementValues(entitlementItem(i), new Date());
      return pool.query({ name: 'bench_meter_entitlement', text: ENTITLEMENT_ONE.text, values });
    });
    const subscription = await cannon('GET /v1/subscription (JWT)', `${base}/v1/subscription`, {
      headers: (i) => ({ authorization: `Bearer ${tenantOf(i).token}`, 'x-tenant-id': tenantOf(i).tenantId }),
    });

    // Scale-out: the same usage writes spread over two API processes (half the connections each, one
    // run) against the one-process figure above. On this 2-core machine both share the cores with
    // PostgreSQL, so the ratio says what a second process costs or gains here, not on a bigger host.
    const second = await startApi();
    const halves = await Promise.all(
      [base, second.base].map((url, half) =>
        cannon(`POST /v1/usage (API key), process ${half + 1} of 2`, `${url}/v1/usage`, {
          method: 'POST',
          body: JSON.stringify({ metric: 'api_calls' }),
          connections: Math.ceil(CONNECTIONS / 2),
          headers: (i) => ({ authorization: `Bearer ${tenantOf(2 * i + half).key}` }),
        }),
      ),
    );
    const twoProcesses: Measure = {
      name: 'POST /v1/usage (API key), two API processes',
      rps: halves[0].rps + halves[1].rps,
      p50: Math.max(halves[0].p50, halves[1].p50),
      p99: Math.max(halves[0].p99, halves[1].p99),
      errors: halves[0].errors + halves[1].errors,
    };
    second.api.kill('SIGTERM');

    const ratio = record.rps / recordSql.rps;
    const lines = [
      '',
      `${CONNECTIONS} connections, ${DURATION} s per run, ${TENANTS} tenants, pool ${POOL_SIZE}, ` +
        `metering batches: ${BATCHING.maxInFlight} in flight, up to ${BATCHING.maxItems} items`,
      table([
        { measure: record, ceiling: recordSql, target: '>= 0.50, p99 <= 2.5x' },
        { measure: record, ceiling: recordSingleSql },
        { measure: recordSql },
        { measure: recordSingleSql },
        { measure: entitlement, ceiling: bareEndpoint },
        { measure: entitlement, ceiling: entitlementSql, target: '>= 0.50' },
        { measure: entitlementSql },
        { measure: entitlementSingleSql },
        { measure: subscription, ceiling: entitlement, target: '>= 0.50' },
        { measure: twoProcesses, ceiling: record },
        { measure: bareEndpoint },
      ]),
      '',
      ...(heapDir ? [`api_live_heap_mb_before=${heapBefore}`, `api_live_heap_mb_after=${await liveHeapMb(api, heapDir)}`] : []),
      `api_rss_mb_before=${rssBefore}`,
      `api_rss_mb_peak=${peakRssMb(api.pid!)}`,
      `usage_record_p99_ms=${fmt(record.p99, 2)}`,
      `entitlement_vs_bare_nest=${fmt(entitlement.rps / bareEndpoint.rps, 3)}`,
      `usage_record_vs_raw_sql=${fmt(ratio, 3)}`,
      `usage_record_p99_vs_raw_sql_p99=${fmt(record.p99 / recordSql.p99, 2)}`,
      `entitlement_vs_raw_sql=${fmt(entitlement.rps / entitlementSql.rps, 3)}`,
      `subscription_read_vs_entitlement_read=${fmt(subscription.rps / entitlement.rps, 3)}`,
      `usage_two_processes_vs_one=${fmt(twoProcesses.rps / record.rps, 3)}`,
      `api_rss_mb_after=${rssMb(api.pid!)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    // Let requests still in flight when a run stopped finish before the API goes away.
    await new Promise((r) => setTimeout(r, 1000));
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    const admin = new pg.Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    log('cleaned up');
  }
}

/** A process's resident set (or its high-water mark), in MB, from /proc (Linux). */
function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Math.round(Number(line.replace(/\D+/g, '')) / 1024) : NaN;
}
const rssMb = (pid: number) => procStatusMb(pid, 'VmRSS');

/**
 * The API's live heap: SIGUSR2 makes it write a heap snapshot (after a full GC); the sum of the
 * nodes' self sizes is what is still reachable. Equal before and after a load = no leak, whatever RSS did.
 */
async function liveHeapMb(api: ChildProcess, dir: string): Promise<number> {
  const before = new Set(readdirSync(dir));
  api.kill('SIGUSR2');
  let file: string | undefined;
  for (let waited = 0; !file && waited < 120_000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
  }
  if (!file) throw new Error('no heap snapshot written');
  let snapshot: { snapshot: { meta: { node_fields: string[] } }; nodes: number[] } | undefined;
  for (let tries = 0; !snapshot && tries < 480; tries++) {
    try {
      snapshot = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch {
      await new Promise((r) => setTimeout(r, 250)); // still being written
    }
  }
  if (!snapshot) throw new Error('heap snapshot unreadable');
  const fields = snapshot.snapshot.meta.node_fields;
  const selfSize = fields.indexOf('self_size');
  let total = 0;
  for (let i = selfSize; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i];
  rmSync(join(dir, file));
  return Math.round(total / 1024 / 1024);
}
const peakRssMb = (pid: number) => procStatusMb(pid, 'VmHWM');

if (process.argv[2] === '--bare') {
  await serveBare(Number(process.argv[3]));
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
