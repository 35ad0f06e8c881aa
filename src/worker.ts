import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { loadConfig } from './config/config.js';
import { WorkerModule } from './worker.module.js';

assertNodeVersion();
loadEnvFile();
loadConfig();
const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
app.useLogger(app.get(Logger));
// SIGTERM/SIGINT close the module graph: @nestjs/bullmq closes each worker, which waits for its active jobs.
app.enableShutdownHooks();
await app.init();
app.get(Logger).log('Worker started');
