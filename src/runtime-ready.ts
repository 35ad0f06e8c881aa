/** The IPC message the API and the worker send `npm start` (src/launcher.ts) once they serve. */
export const READY_MESSAGE = 'eshtarek:ready';

export interface ReadyMessage {
  type: typeof READY_MESSAGE;
  /** The API's port (PORT=0 picks a free one). */
  port?: number;
}

/** Tells the launcher, when there is one (started with an IPC channel), that this process is ready. */
export function reportReady(port?: number): void {
  if (!process.send) return;
  const message: ReadyMessage = { type: READY_MESSAGE, port };
  process.send(message);
  // A launcher that dies without stopping its processes (SIGKILL, a crash) must not leave an API
  // holding the port: losing the channel is a graceful shutdown.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** The worker touches this file while it can reach Redis; docker-compose's healthcheck reads its age. */
export const WORKER_HEARTBEAT_FILE = '/tmp/eshtarek-worker.heartbeat';
export const WORKER_HEARTBEAT_EVERY_MS = 10_000;
