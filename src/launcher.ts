import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DatabaseUnreachableError, prepareDatabase } from './database/setup.js';
import { DEMO_PASSWORD, DEMO_PLANS, DEMO_TENANTS } from './database/seed.js';

const HOW_TO_START =
  'Start them with `docker compose up -d postgres redis`, or with your system services ' +
  '(e.g. `pg_ctlcluster <version> main start` and `redis-server --daemonize yes`), then run `npm start` again.';

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new DatabaseUnreachableError(`Redis is not reachable at ${new URL(url).host}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

/**
 * `npm start`: validates configuration, checks PostgreSQL and Redis, creates the database and
 * roles when missing, migrates, seeds, then runs the API and the worker as two processes.
 */
async function main(): Promise<void> {
  assertNodeVersion();
  loadEnvFile();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  let prepared;
  try {
    await checkRedis(config.REDIS_URL);
    prepared = await prepareDatabase(config);
  } catch (error) {
    if (error instanceof DatabaseUnreachableError) {
      console.error(`${error.message.replace(/\.+$/, '')}. ${HOW_TO_START}`);
      process.exit(1);
    }
    throw error;
  }
  console.log(prepared.applied.length ? `Applied migrations: ${prepared.applied.join(', ')}` : 'Database schema is up to date');

  const children: ChildProcess[] = [];
  const run = (entry: string) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(entry, import.meta.url))], {
      stdio: 'inherit',
      env: process.env,
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`${entry} exited (${signal ?? code}); stopping`);
        stop(code ?? 1);
      }
    });
    children.push(child);
  };
  let stopping = false;
  const stop = (code = 0) => {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    setTimeout(() => process.exit(code), 10_000).unref();
    Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r))))).then(() =>
      process.exit(code),
    );
  };
  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());
  run('./main.js');
  run('./worker.js');

  const base = `http://localhost:${config.PORT}`;
  for (let i = 0; i < 120; i++) {
    const ready = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const lines = [
    '',
    `Eshtarek is running on ${base}`,
    `  Swagger UI   ${base}/docs   (OpenAPI document: ${base}/docs-json)`,
    `  Bull Board   ${base}/admin/queues   (platform admin credentials, HTTP Basic)`,
    `  Health       ${base}/health/ready`,
    `  Platform admin: ${config.PLATFORM_ADMIN_EMAIL} / ${config.PLATFORM_ADMIN_PASSWORD}`,
  ];
  if (config.SEED_DEMO) {
    for (const tenant of DEMO_TENANTS) {
      lines.push(`  ${tenant.name}: ${tenant.users.map((u) => `${u.email} (${u.role})`).join(', ')}  password ${DEMO_PASSWORD}`);
    }
    lines.push(
      `  Demo plans: ${DEMO_PLANS.map((p) => `${p.code} (${p.price} USD cents/month${p.trialDays ? `, ${p.trialDays}-day trial` : ''})`).join(', ')}`,
    );
    lines.push('  Test cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000009995 has insufficient funds');
  }
  console.log(lines.join('\n'));
}

await main();
