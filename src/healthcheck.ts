import { statSync } from 'node:fs';
import 'reflect-metadata';
import { loadConfig } from './config/config.js';
import { WORKER_HEARTBEAT_EVERY_MS, WORKER_HEARTBEAT_FILE } from './runtime-ready.js';

/**
 * docker-compose's healthchecks (the image has no curl): `api` asks the API's /health/ready,
 * `worker` checks that the worker touched its heartbeat file lately. Exit 0 = healthy.
 */
async function healthy(what: string | undefined): Promise<boolean> {
  if (what === 'worker') {
    try {
      return Date.now() - statSync(WORKER_HEARTBEAT_FILE).mtimeMs < 3 * WORKER_HEARTBEAT_EVERY_MS;
    } catch {
      return false;
    }
  }
  const res = await fetch(`http://127.0.0.1:${loadConfig().PORT}/health/ready`, {
    signal: AbortSignal.timeout(4000),
  }).catch(() => null);
  return res?.ok ?? false;
}

process.exit((await healthy(process.argv[2])) ? 0 : 1);
