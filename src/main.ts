import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { loadConfig } from './config/config.js';
import { createApp } from './bootstrap.js';
import { reportReady } from './runtime-ready.js';

assertNodeVersion();
loadEnvFile();
const config = loadConfig();
const app = await createApp(config);
await app.listen({ port: config.PORT, host: '0.0.0.0' });
reportReady((app.getHttpServer().address() as AddressInfo).port);
