/** The IPC message the API and the worker send `npm start` (src/launcher.ts) once they serve. */
export const READY_MESSAGE = 'eshtarek:ready';

export interface ReadyMessage {
  type: typeof READY_MESSAGE;
  /** The API's port (PORT=0 picks a free one). */
  port?: number;
}

/** Tells the launcher, when there is one (started with an IPC channel), that this process is ready. */
export function reportReady(port?: number): void {
  const message: ReadyMessage = { type: READY_MESSAGE, port };
  process.send?.(message);
}

/** The worker touches this file while it can reach Redis; docker-compose's healthcheck reads its age. */
export const WORKER_HEARTBEAT_FILE = '/tmp/eshtarek-worker.heartbeat';
export const WORKER_HEARTBEAT_EVERY_MS = 10_000;
