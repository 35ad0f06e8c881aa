import { Logger } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import { Errors } from '../errors/app-error.js';
import { outageOf } from '../errors/outages.js';

const OUTAGE_LOG_EVERY_MS = 60_000;

/** Names of the throttlers configured in app.module.ts. */
export type RateLimitScope = 'address' | 'user' | 'tenant';

/**
 * @nestjs/throttler's guard with our answers: each subclass says which scopes count a request
 * and under which key; `X-RateLimit-Limit/Remaining/Reset` describe the tightest scope that
 * counted it, and past a limit the answer is 429 `rate_limited` with Retry-After.
 *
 * The counters live in Redis. Without it a guard either fails closed (the default: the
 * request is answered 503 `service_unavailable` with Retry-After, at once) or lets the request
 * through uncounted (`failsOpen()`), logging that it does at most once a minute.
 */
export abstract class RateLimitGuard extends ThrottlerGuard {
  private readonly tightest = new WeakMap<object, number>();
  private readonly outageLogger = new Logger(this.constructor.name);
  private lastOutageLog = 0;

  /** Whether a request goes through uncounted while Redis is unavailable (otherwise: 503). */
  protected failsOpen(): boolean {
    return false;
  }

  /** The counter this request adds to under `scope`, or null when the scope does not apply to it. */
  protected abstract counterKey(scope: RateLimitScope, props: ThrottlerRequest): Promise<string | null>;

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const scope = props.throttler.name as RateLimitScope;
    const key = await this.counterKey(scope, props);
    if (!key) return true;
    const { req, res } = this.getRequestResponse(props.context);
    let hit: Awaited<ReturnType<typeof this.storageService.increment>>;
    try {
      hit = await this.storageService.increment(key, props.ttl, props.limit, props.blockDuration, scope);
    } catch (error) {
      if (!outageOf(error) || !this.failsOpen()) throw error;
      if (Date.now() - this.lastOutageLog > OUTAGE_LOG_EVERY_MS) {
        this.lastOutageLog = Date.now();
        this.outageLogger.warn(`rate limit "${scope}" not counted while Redis is unavailable: ${(error as Error).message}`);
      }
      return true;
    }
    const remaining = Math.max(0, props.limit - hit.totalHits);
    const previous = this.tightest.get(req);
    if (previous === undefined || remaining < previous) {
      this.tightest.set(req, remaining);
      this.setResponseHeader(res, 'X-RateLimit-Limit', props.limit);
      this.setResponseHeader(res, 'X-RateLimit-Remaining', remaining);
      this.setResponseHeader(res, 'X-RateLimit-Reset', hit.timeToExpire);
    }
    if (hit.isBlocked) throw Errors.rateLimited(hit.timeToBlockExpire);
    return true;
  }
}
