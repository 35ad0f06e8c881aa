import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../clock/clock.service.js';
import { AppConfig } from '../../config/config.js';
import { CredentialSeal, sealMessages } from '../../database/credential-seal.js';
import { AppError, Errors } from '../errors/app-error.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export type IdempotencyStart = { replay: false } | { replay: true; body?: unknown; error?: AppError };

/**
 * Canonical JSON (sorted keys) so that the same body always hashes the same. Iterative, with an
 * explicit stack: a body's depth must not decide whether hashing it overflows the call stack.
 */
export function canonical(root: unknown): string {
  const out: string[] = [];
  // Either a value still to write or literal text (brackets, commas, keys), in reverse order.
  const stack: ({ text: string } | { value: unknown })[] = [{ value: root }];
  while (stack.length) {
    const next = stack.pop()!;
    if ('text' in next) {
      out.push(next.text);
      continue;
    }
    const value = next.value;
    if (Array.isArray(value)) {
      stack.push({ text: ']' });
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i] });
        if (i > 0) stack.push({ text: ',' });
      }
      out.push('[');
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
      stack.push({ text: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push({ value: entries[i][1] }, { text: `${i > 0 ? ',' : ''}${JSON.stringify(entries[i][0])}:` });
      }
      out.push('{');
    } else {
      out.push(JSON.stringify(value ?? null));
    }
  }
  return out.join('');
}

/**
 * Fingerprint of a request, keyed: bodies can hold secrets (card numbers), so a plain hash would
 * let anyone with the table guess them back.
 */
export function requestHash(key: Buffer, method: string, path: string, body: unknown): string {
  return createHmac('sha256', key)
    .update(`${method} ${path}\n${canonical(body)}`)
    .digest('hex');
}

/**
 * Idempotency-Key support, inside the request's own transaction: the key row is inserted first,
 * so a concurrent request with the same key waits on the unique index until the first commits
 * (then replays its answer) or rolls back (then does the work itself). Work and key commit together.
 */
@Injectable()
export class IdempotencyService {
  private readonly key: Buffer;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly seal: CredentialSeal,
    config: AppConfig,
  ) {
    this.key = createHmac('sha256', config.JWT_SECRET).update('idempotency-request-hash').digest();
  }

  hash(method: string, path: string, body: unknown): string {
    return requestHash(this.key, method, path, body);
  }

  async begin(caller: string, key: string, hash: string): Promise<IdempotencyStart> {
    if (key.length > 255) throw Errors.validation('Idempotency-Key is longer than 255 characters');
    const now = this.clock.realNow();
    // One definer function claims the key or returns what is stored (the API role has no access to the table).
    const [stored] = await this.em.execute<
      { claimed: boolean; request_hash: string | null; status_code: number | null; response_body: unknown }[]
    >('select * from idempotency_claim(?, ?, ?, ?, ?, ?)', [
      caller,
      key,
      hash,
      now,
      new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      this.seal.seal(sealMessages.idempotency(caller)),
    ]);
    if (stored.claimed) return { replay: false };
    if (stored.request_hash !== hash || stored.status_code === null) throw Errors.idempotencyKeyReused();
    if (stored.status_code >= 400) {
      // A failure that was committed (e.g. a declined charge) replays as the same problem.
      const problem = stored.response_body as { code: string; title: string; detail: string; failureCode?: string };
      const { code, title, detail, ...rest } = problem;
      const extensions = Object.fromEntries(
        Object.entries(rest).filter(([k]) => !['type', 'status', 'requestId', 'errors'].includes(k)),
      );
      return { replay: true, error: new AppError(stored.status_code, code, title, detail, undefined, undefined, extensions) };
    }
    return { replay: true, body: stored.response_body };
  }

  async complete(caller: string, key: string, statusCode: number, body: unknown): Promise<void> {
    await this.em.execute('select idempotency_complete(?, ?, ?, ?, ?)', [
      caller,
      key,
      statusCode,
      JSON.stringify(body ?? null),
      this.seal.seal(sealMessages.idempotency(caller)),
    ]);
  }
}
