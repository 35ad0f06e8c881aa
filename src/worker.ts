import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { loadConfig } from './config/config.js';
import { RedisClient } from './common/redis/redis.module.js';
import { WorkerModule } from './worker.module.js';
import { reportReady, WORKER_HEARTBEAT_EVERY_MS, WORKER_HEARTBEAT_FILE } from './runtime-ready.js';

assertNodeVersion();
loadEnvFile();
loadConfig();
const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
app.useLogger(app.get(Logger));
// SIGTERM/SIGINT close the module graph: @nestjs/bullmq closes each worker, which waits for its active jobs.
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
await app.init();
app.get(Logger).log('Worker started');
const redis = app.get(RedisClient);
const heartbeat = () =>
  redis.ping().then(
    () => writeFile(WORKER_HEARTBEAT_FILE, new Date().toISOString()).catch(() => undefined),
    () => undefined,
  );
await heartbeat();
setInterval(heartbeat, WORKER_HEARTBEAT_EVERY_MS).unref();
reportReady();
