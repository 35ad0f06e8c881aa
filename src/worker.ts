import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { loadConfig } from './config/config.js';
import { RedisClient } from './common/redis/redis.module.js';
import { WorkerModule } from './worker.module.js';
import { reportReady, WORKER_HEARTBEAT_EVERY_MS, WORKER_HEARTBEAT_FILE } from './runtime-ready.js';

/**
 * Waits until Redis answers, however long that takes (saying so once, then every minute): a
 * worker started while Redis is down waits for it instead of exiting. SIGTERM still stops it.
 */
async function waitForRedis(url: string): Promise<void> {
  const where = new URL(url).host;
  let said = 0;
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      if (said) console.error(`Redis at ${where} answers; starting the worker.`);
      return;
    } catch (error) {
      if (Date.now() - said > 60_000) {
        said = Date.now();
        console.error(`Waiting for Redis at ${where} (${(error as Error).message}); the worker starts when it answers.`);
      }
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5000)));
  }
}

assertNodeVersion();
loadEnvFile();
const config = loadConfig();
process.once('SIGTERM', () => process.exit(0)); // until the app's own shutdown hooks take over
process.once('SIGINT', () => process.exit(0));
await waitForRedis(config.REDIS_URL);
process.removeAllListeners('SIGTERM');
process.removeAllListeners('SIGINT');
const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
app.useLogger(app.get(Logger));
// SIGTERM/SIGINT close the module graph: @nestjs/bullmq closes each worker, which waits for its active jobs.
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
await app.init();
app.get(Logger).log('Worker started');
const redis = app.get(RedisClient);
// The heartbeat (docker-compose's healthcheck) is written only while Redis answers: a worker cut off
// from its queues reports unhealthy, and keeps reconnecting meanwhile.
const heartbeat = () =>
  redis.ping().then(
    () => writeFile(WORKER_HEARTBEAT_FILE, new Date().toISOString()).catch(() => undefined),
    () => undefined,
  );
await heartbeat();
setInterval(heartbeat, WORKER_HEARTBEAT_EVERY_MS).unref();
reportReady();
