import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { installCredentialSeal } from '../../src/database/setup.js';
import { READY_MESSAGE, type ReadyMessage } from '../../src/runtime-ready.js';
import { apiNodeFlags } from '../../src/memory-budget.js';
import { seedDueSubscriptions, seedPlan } from '../../scripts/seed-due.js';
import { cloneTemplateDatabase, type ClonedDatabase } from '../support/database.js';
import { REDIS_URL } from '../support/env.js';
import { eventually } from '../support/app.js';

/**
 * Scale-out stays exact: two API processes and two workers, started from the build as `npm start`
 * starts them, against one PostgreSQL database and one Redis prefix. Limits and renewals are
 * decided in the database (conditional updates, row locks, SKIP LOCKED, job ids that name their
 * work), so adding processes must not let anything through twice.
 */
const dist = (entry: string) => fileURLToPath(new URL(`../../dist/src/${entry}`, import.meta.url));

let database: ClonedDatabase;
let owner: pg.Pool;
const children: ChildProcess[] = [];
const apis: string[] = [];
let prefix: string;

function start(entry: string, env: Record<string, string>): Promise<ChildProcess & { port?: number }> {
  const child = fork(dist(entry), [], {
    execArgv: entry === 'main.js' ? apiNodeFlags('') : [],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
    child.on('message', (message: ReadyMessage) => {
      if (message?.type === READY_MESSAGE) resolve(Object.assign(child, { port: message.port }));
    });
  });
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  auth?: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function ok(base: string, method: string, path: string, body?: unknown, auth?: string) {
  const res = await call(base, method, path, body, auth);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const ownerRows = async (sql: string, params: unknown[] = []) => (await owner.query(sql, params)).rows;

beforeAll(async () => {
  database = await cloneTemplateDatabase();
  owner = new pg.Pool({ connectionString: database.ownerUrl, max: 2 });
  const jwtSecret = `scale-out-${randomBytes(16).toString('hex')}`;
  await installCredentialSeal(database.ownerUrl, jwtSecret);
  prefix = `test:${database.suffix}`;
  const env = {
    NODE_ENV: 'test',
    PORT: '0',
    JWT_SECRET: jwtSecret,
    DATABASE_URL: database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    CLOCK_CONTROL: 'true',
    REDIS_COMMAND_TIMEOUT_MS: '2000',
  };
  const started = await Promise.all([
    start('main.js', env),
    start('main.js', env),
    start('worker.js', env),
    start('worker.js', env),
  ]);
  for (const api of started.slice(0, 2)) apis.push(`http://127.0.0.1:${api.port}`);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
    }),
  );
  await owner?.end();
  await database?.drop();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}, 60_000);

async function platformAdmin(): Promise<string> {
  const email = `admin-${randomBytes(4).toString('hex')}@scale.test`;
  const registered = await ok(apis[0], 'POST', '/v1/auth/register', { email, password: 'scale-password-123', name: 'Admin' });
  await ownerRows('update users set is_platform_admin = true where id = $1', [registered.user.id]);
  // Sign in again: the platform-admin flag is read per request, but a fresh session keeps this honest.
  return (await ok(apis[1], 'POST', '/v1/auth/login', { email, password: 'scale-password-123' })).accessToken;
}

it('a hard limit of 100 accepts exactly 100 of 150 concurrent writes spread over two API processes', async () => {
  const admin = await platformAdmin();
  const policy = await ok(apis[0], 'POST', '/v1/policies', { metric: 'api_calls', limit: 100, enforcement: 'hard' }, admin);
  const plan = await ok(
    apis[1],
    'POST',
    '/v1/plans',
    { code: 'scale-limit', name: 'Scale', priceAmount: 0, currency: 'USD', interval: 'month', policyIds: [policy.id] },
    admin,
  );
  const user = await ok(apis[0], 'POST', '/v1/auth/register', {
    email: 'owner@scale.test',
    password: 'scale-password-123',
    name: 'Owner',
  });
  await ok(apis[1], 'POST', '/v1/tenants', { name: 'Scale tenant' }, user.accessToken);
  await ok(apis[0], 'POST', '/v1/subscription', { planId: plan.id }, user.accessToken);
  const key = await ok(apis[1], 'POST', '/v1/api-keys', { name: 'scale', mode: 'live' }, user.accessToken);

  const answers = await Promise.all(
    Array.from({ length: 150 }, (_, i) => call(apis[i % 2], 'POST', '/v1/usage', { metric: 'api_calls' }, key.secret)),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(100);
  expect(statuses.filter((s) => s === 403)).toHaveLength(50);
  expect(answers.filter((a) => a.status === 403).every((a) => a.body.code === 'limit_exceeded')).toBe(true);
  const entitlement = await ok(apis[0], 'GET', '/v1/entitlements/api_calls', undefined, key.secret);
  expect(entitlement.used).toBe(100);
  const [{ events }] = await ownerRows(`select count(*)::int as events from usage_events`);
  expect(events).toBe(100);
});

it('5,000 due renewals worked by two workers give exactly one invoice and one charge each', async () => {
  const admin = await platformAdmin();
  const clock = await ok(apis[0], 'GET', '/v1/admin/clock', undefined, admin);
  const client = await owner.connect();
  try {
    const plan = await seedPlan(client as unknown as pg.Client, 1500);
    await seedDueSubscriptions(client as unknown as pg.Client, plan, 5000, new Date(new Date(clock.now).getTime() + 60_000));
  } finally {
    client.release();
  }
  // Two moves, one per API process: two scans race over the same due subscriptions.
  const later = (minutes: number) => new Date(new Date(clock.now).getTime() + minutes * 60_000).toISOString();
  await Promise.all([
    ok(apis[0], 'PUT', '/v1/admin/clock', { now: later(2) }, admin),
    ok(apis[1], 'PUT', '/v1/admin/clock', { now: later(3) }, admin),
  ]);

  await eventually(async () => {
    const [{ renewed }] = await ownerRows(`select count(*)::int as renewed from subscriptions where cycles_billed = 2`);
    return renewed === 5000 || undefined;
  }, 90_000);
  const [invoices] = await ownerRows(
    `select count(*)::int as total, count(distinct subscription_id)::int as subscriptions
       from invoices where billing_reason = 'subscription_cycle'`,
  );
  expect(invoices).toEqual({ total: 5000, subscriptions: 5000 });
  const [payments] = await ownerRows(
    `select count(*)::int as total, count(distinct invoice_id)::int as invoices
       from payments where status = 'succeeded'`,
  );
  expect(payments).toEqual({ total: 5000, invoices: 5000 });
  const [charges] = await ownerRows(`select count(*)::int as total from mock_gateway.charges`);
  expect(charges.total).toBe(5000);
  const [unpaid] = await ownerRows(`select count(*)::int as n from invoices where status <> 'paid'`);
  expect(unpaid.n).toBe(0);
}, 120_000);
