import 'reflect-metadata';
import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { loadConfig } from './config/config.js';
import { createApp } from './bootstrap.js';

assertNodeVersion();
loadEnvFile();
const config = loadConfig();
const app = await createApp(config);
await app.listen({ port: config.PORT, host: '0.0.0.0' });
