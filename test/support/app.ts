import pg from 'pg';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { AppModule } from '../../src/app.module.js';
import { WorkerModule } from '../../src/worker.module.js';
import { configureApp, createAdapter } from '../../src/bootstrap.js';
import { installCredentialSeal } from '../../src/database/setup.js';
import { AppConfig, loadConfig } from '../../src/config/config.js';
import { REDIS_URL, TEST_HASHING } from './env.js';
import { ApiClient } from './client.js';
import { cloneTemplateDatabase, type ClonedDatabase } from './database.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** The in-process worker, when started with `{ worker: true }` or `startWorker()`. */
  readonly worker: INestApplicationContext | null;
  /** Starts the worker (BullMQ processors and schedulers) in-process. */
  startWorker(): Promise<INestApplicationContext>;
  api: ApiClient;
  baseUrl: string;
  config: AppConfig;
  /** Connection URL of this file's database as the owner (bypasses RLS: for assertions only). */
  ownerUrl: string;
  /** Connection URL of this file's database as the API's role. */
  appUrl: string;
  close(): Promise<void>;
}

/**
 * One isolated platform per test file: a database cloned from the migrated template, its own Redis
 * prefix, and the real app listening on a random port.
 */
export interface TestAppOptions {
  /** Also run the worker (BullMQ processors) in-process, against the same database and Redis prefix. */
  worker?: boolean;
}

/** The app's configuration in a test: its cloned database, its Redis prefix, quiet logs, cheap hashing. */
export function testConfig(database: ClonedDatabase, overrides: Partial<Record<keyof AppConfig, string>> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    DATABASE_POOL_SIZE: '10',
    REDIS_URL,
    REDIS_PREFIX: `test:${database.suffix}`,
    LOG_LEVEL: 'silent',
    PLATFORM_ADMIN_EMAIL: 'admin@eshtarek.test',
    PLATFORM_ADMIN_PASSWORD: 'admin-password-123',
    // A loaded test machine (jest compiling a file blocks the event loop) can hold a Redis reply past
    // the production 500 ms; the fault tests that measure it set their own.
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    ...TEST_HASHING,
    ...overrides,
  });
}

export async function startTestApp(
  overrides: Partial<Record<keyof AppConfig, string>> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = await cloneTemplateDatabase();
  const { suffix, ownerUrl, appUrl } = database;
  const config = testConfig(database, overrides);
  await installCredentialSeal(ownerUrl, config.JWT_SECRET);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(config), { logger: false });
  await configureApp(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  let worker: INestApplicationContext | null = null;
  const startWorker = async () => {
    worker = await Test.createTestingModule({ imports: [WorkerModule] })
      .overrideProvider(AppConfig)
      .useValue(config)
      .compile();
    await worker.init();
    return worker;
  };
  if (options.worker) await startWorker();
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    app,
    get worker() {
      return worker;
    },
    startWorker,
    api: new ApiClient(baseUrl),
    baseUrl,
    config,
    ownerUrl,
    appUrl,
    async close() {
      // Bounded: after a Redis outage a BullMQ worker's close can wait on its reconnecting blocking
      // connection for long; the file's database and Redis keys go away below either way.
      const closing = (worker as INestApplicationContext | null)?.close();
      if (closing) await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
      await app.close();
      // The file's own Redis (REDIS_URL may be overridden, e.g. by a fault test that stopped it).
      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        const keys = await redis.keys(`test:${suffix}:*`);
        if (keys.length) await redis.del(...keys);
      } catch {
        /* that Redis is gone with its keys */
      } finally {
        redis.disconnect();
      }
      await database.drop();
    },
  };
}

/** Runs SQL as the owner of the test database (sees every row): for setting up and checking state. */
export async function ownerQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  t: TestApp,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: t.ownerUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Waits until `probe` returns a value (not undefined/false), for work the app finishes in the
 * background (a worker job), probing every 50 ms: the suite's one polling loop. Fails after
 * `timeoutMs`, saying what `describe` reports of the last state (if given).
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  describe?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms${describe ? `: ${describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
