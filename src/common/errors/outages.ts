/** A service the platform depends on. */
export type Dependency = 'database' | 'redis';

/** Thrown where Redis is needed and not connected (or does not answer in time): answered 503, never 500. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis is unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

/** ioredis' rejections when it cannot run a command (closed, reconnecting, timed out, out of retries). */
const REDIS_MESSAGES = [
  /^Redis is unavailable/,
  /^Command timed out$/,
  /^Connection is closed\.?$/,
  /Stream isn't writeable and enableOfflineQueue options is false/,
  /max retries per request limit/i,
];

/**
 * PostgreSQL unreachable or going away, as `pg` and MikroORM report it: SQLSTATE class 08
 * (connection exception), 57P01–57P03 (administrator or crash shutdown, cannot connect now: a
 * restart), 53300 (too many connections); socket errors; and the pool's own failures.
 */
const PG_STATES = /^(08...|57P0[1-3]|53300)$/;
const PG_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/,
  /the database system is (starting up|shutting down|in recovery mode)/,
  /terminating connection due to administrator command/,
  /Connection ended unexpectedly/i,
];
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function* chain(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (!error || typeof error !== 'object' || depth > 5) return;
  const e = error as Record<string, unknown>;
  yield e;
  if (e.cause) yield* chain(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
}

/**
 * Which dependency an error says is unavailable, or null when it is an ordinary failure. Such
 * errors are answered 503 `service_unavailable` with Retry-After: the client may simply retry.
 */
export function outageOf(error: unknown): Dependency | null {
  for (const e of chain(error)) {
    const message = typeof e.message === 'string' ? e.message : '';
    const name = typeof e.name === 'string' ? e.name : '';
    if (name === 'RedisUnavailableError' || name === 'MaxRetriesPerRequestError') return 'redis';
    if (REDIS_MESSAGES.some((pattern) => pattern.test(message))) return 'redis';
    const code = typeof e.code === 'string' ? e.code : '';
    if (PG_STATES.test(code) || PG_MESSAGES.some((pattern) => pattern.test(message))) return 'database';
    if (name === 'ConnectionException') return 'database';
    // ioredis reports its own socket errors as the messages above; a bare socket error is pg's.
    if (SOCKET_CODES.has(code)) return 'database';
  }
  return null;
}

export const DEPENDENCY_NAMES: Record<Dependency, string> = { database: 'The database', redis: 'Redis' };
