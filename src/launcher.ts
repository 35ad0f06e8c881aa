import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { AppConfig, ConfigError, loadConfig, PUBLISHED_SECRETS } from './config/config.js';
import { DatabaseSetupRefused, DatabaseUnreachableError, prepareDatabase } from './database/setup.js';
import { DEMO_PASSWORD, DEMO_PLANS, DEMO_TENANTS, SeedRefusedError } from './database/seed.js';
import { seedTools } from './seed-tools.js';
import { READY_MESSAGE, ReadyMessage } from './runtime-ready.js';
import { apiNodeFlags } from './memory-budget.js';

const HOW_TO_START =
  'Start them with `docker compose up -d postgres redis`, or with your system services ' +
  '(e.g. `pg_ctlcluster <version> main start` and `redis-server --daemonize yes`), then run `npm start` again.';
const READY_TIMEOUT_MS = 60_000;
const RESTART_FIRST_DELAY_MS = 1000;
const RESTART_MAX_DELAY_MS = 30_000;
const RESTART_STABLE_AFTER_MS = 60_000;

/** Says why `npm start` cannot go on, in one sentence, and exits 1. */
function fail(sentence: string): never {
  console.error(sentence);
  process.exit(1);
}

const where = (url: string) => {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
};

/** The API binds 0.0.0.0:PORT; finding it taken now beats a half-started platform later. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? `Port ${port} is already in use (another Eshtarek or another program); stop it or set PORT to a free port.`
          : `Cannot listen on port ${port}: ${error.message}.`,
      ),
    );
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve()));
  });
}

/** A TCP connection to the URL's host and port (nothing is created or logged in). */
function reachable(url: string, defaultPort: number): Promise<string | null> {
  const u = new URL(url);
  if (!u.hostname) return Promise.resolve(null); // a Unix socket: the real connection below says what is wrong
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    socket.once('error', (error) => resolve(error.message));
    socket.connect(Number(u.port || defaultPort), u.hostname.replace(/^\[|\]$/g, ''), () => {
      socket.end();
      resolve(null);
    });
  });
}

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

/** Requests run as DATABASE_URL's role: sign in as it and find the migrated schema, or say what is wrong. */
async function checkAppRole(config: AppConfig): Promise<void> {
  const client = new pg.Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ migrated: boolean }>(`select to_regclass('public.users') is not null as migrated`);
    if (!rows[0].migrated) {
      fail(
        `DATABASE_URL points at ${where(config.DATABASE_URL)}, which has no Eshtarek schema; ` +
          `DATABASE_OWNER_URL migrated ${where(config.DATABASE_OWNER_URL)}: point both at the same database.`,
      );
    }
  } catch (error) {
    fail(
      `Cannot connect to PostgreSQL with DATABASE_URL (${where(config.DATABASE_URL)}): ${(error as Error).message}; check DATABASE_URL.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The banner's credentials: passwords only where they are the published development defaults. */
function credentialLines(config: AppConfig): string[] {
  const published = PUBLISHED_SECRETS.PLATFORM_ADMIN_PASSWORD!.includes(config.PLATFORM_ADMIN_PASSWORD);
  const showPasswords = config.NODE_ENV !== 'production';
  const lines = [
    `  Platform admin: ${config.PLATFORM_ADMIN_EMAIL} / ${
      showPasswords && published ? config.PLATFORM_ADMIN_PASSWORD : '(the password in PLATFORM_ADMIN_PASSWORD)'
    }`,
  ];
  if (!config.SEED_DEMO) return lines;
  for (const tenant of DEMO_TENANTS) {
    const users = tenant.users.map((u) => `${u.email} (${u.role})`).join(', ');
    lines.push(`  ${tenant.name}: ${users}${showPasswords ? `  password ${DEMO_PASSWORD}` : ''}`);
  }
  lines.push(
    `  Demo plans: ${DEMO_PLANS.map((p) => `${p.code} (${p.price} USD cents/month${p.trialDays ? `, ${p.trialDays}-day trial` : ''})`).join(', ')}`,
  );
  lines.push('  Test cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000009995 has insufficient funds');
  return lines;
}

/**
 * `npm start`: validates configuration, checks the port, PostgreSQL and Redis, creates the
 * database and roles when missing, migrates, seeds, then runs the API and the worker as two
 * processes and says "running" once both have reported ready over IPC. Afterwards it restarts
 * either process, with backoff, if it exits; the other keeps serving.
 */
async function main(): Promise<void> {
  assertNodeVersion();
  loadEnvFile();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  await assertPortFree(config.PORT);
  let prepared;
  try {
    for (const [name, url] of [
      ['DATABASE_OWNER_URL', config.DATABASE_OWNER_URL],
      ['DATABASE_URL', config.DATABASE_URL],
    ] as const) {
      const problem = await reachable(url, 5432);
      if (problem)
        throw new DatabaseUnreachableError(`PostgreSQL is not reachable at ${new URL(url).host} (${name}): ${problem}`);
    }
    await checkRedis(config.REDIS_URL);
    prepared = await prepareDatabase(config, seedTools(config));
  } catch (error) {
    if (error instanceof DatabaseUnreachableError) fail(`${error.message.replace(/\.+$/, '')}. ${HOW_TO_START}`);
    if (error instanceof SeedRefusedError || error instanceof DatabaseSetupRefused) fail(error.message);
    throw error;
  }
  await checkAppRole(config);
  console.log(prepared.applied.length ? `Applied migrations: ${prepared.applied.join(', ')}` : 'Database schema is up to date');

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stop = (code = 0) => {
    stopping = true;
    for (const child of children.values()) child.kill('SIGTERM');
    setTimeout(() => process.exit(code), 10_000).unref();
    Promise.all(
      [...children.values()].map(
        (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.on('exit', r))),
      ),
    ).then(() => process.exit(code));
  };
  /**
   * Runs one process and resolves with its first ready message. One that exits before it was ever
   * ready stops everything (its error is above: configuration, schema). One that exits later is
   * restarted with backoff (RESTART_FIRST_DELAY_MS doubling up to RESTART_MAX_DELAY_MS, reset once
   * it has run RESTART_STABLE_AFTER_MS) while the other keeps running: a worker that dies with Redis
   * never takes the API down with it.
   */
  const supervise = (name: string, entry: string) =>
    new Promise<ReadyMessage>((resolve) => {
      let everReady = false;
      let restarts = 0;
      const start = () => {
        const startedAt = Date.now();
        const flags = name === 'API' ? apiNodeFlags(process.env.NODE_OPTIONS ?? '') : [];
        const child = spawn(process.execPath, [...flags, fileURLToPath(new URL(entry, import.meta.url))], {
          stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
          env: process.env,
        });
        children.set(name, child);
        child.on('message', (message: ReadyMessage) => {
          if (message?.type !== READY_MESSAGE) return;
          if (everReady) console.log(`The ${name} is running again.`);
          everReady = true;
          resolve(message);
        });
        child.on('exit', (code, signal) => {
          if (stopping) return;
          if (!everReady) {
            console.error(`The ${name} exited (${signal ?? code}) before it was ready; its error is above.`);
            stop(code || 1);
            return;
          }
          if (Date.now() - startedAt > RESTART_STABLE_AFTER_MS) restarts = 0;
          const delay = Math.min(RESTART_FIRST_DELAY_MS * 2 ** restarts, RESTART_MAX_DELAY_MS);
          restarts++;
          console.error(`The ${name} exited (${signal ?? code}); restarting it in ${delay / 1000} s.`);
          setTimeout(() => {
            if (!stopping) start();
          }, delay);
        });
      };
      start();
    });
  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());
  const timeout = setTimeout(() => {
    console.error(`The API and the worker did not report ready within ${READY_TIMEOUT_MS / 1000} s; stopping.`);
    stop(1);
  }, READY_TIMEOUT_MS);
  const [api] = await Promise.all([supervise('API', './main.js'), supervise('worker', './worker.js')]);
  clearTimeout(timeout);

  const base = `http://localhost:${api.port}`;
  console.log(
    [
      '',
      `Eshtarek is running on ${base}`,
      `  Swagger UI   ${base}/docs   (OpenAPI document: ${base}/docs-json)`,
      `  Bull Board   ${base}/admin/queues   (platform admin credentials)`,
      `  Health       ${base}/health/ready`,
      `  Errors       ${base}/problems`,
      ...credentialLines(config),
    ].join('\n'),
  );
}

await main();
