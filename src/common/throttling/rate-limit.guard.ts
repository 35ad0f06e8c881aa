import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import { Errors } from '../errors/app-error.js';

/** Names of the throttlers configured in app.module.ts. */
export type RateLimitScope = 'address' | 'user' | 'tenant';

/**
 * @nestjs/throttler's guard with our answers: each subclass says which scopes count a request
 * and under which key; `X-RateLimit-Limit/Remaining/Reset` describe the tightest scope that
 * counted it, and past a limit the answer is 429 `rate_limited` with Retry-After.
 */
export abstract class RateLimitGuard extends ThrottlerGuard {
  private readonly tightest = new WeakMap<object, number>();

  /** The counter this request adds to under `scope`, or null when the scope does not apply to it. */
  protected abstract counterKey(scope: RateLimitScope, props: ThrottlerRequest): Promise<string | null>;

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const scope = props.throttler.name as RateLimitScope;
    const key = await this.counterKey(scope, props);
    if (!key) return true;
    const { req, res } = this.getRequestResponse(props.context);
    const hit = await this.storageService.increment(key, props.ttl, props.limit, props.blockDuration, scope);
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
