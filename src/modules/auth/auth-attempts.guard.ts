import { Injectable } from '@nestjs/common';
import type { ThrottlerRequest } from '@nestjs/throttler';
import { RateLimitGuard, RateLimitScope } from '../../common/throttling/rate-limit.guard.js';

/**
 * Sign-in and registration attempts per client address (AUTH_MAX_ATTEMPTS_PER_ADDRESS in
 * AUTH_THROTTLE_WINDOW_SECONDS): one counter for both routes, in Redis so that every API process
 * shares it; past the limit, 429 `rate_limited` with Retry-After. Without Redis it fails closed:
 * 503 `service_unavailable` with Retry-After, at once (guessing must not become unlimited).
 */
@Injectable()
export class AuthAttemptsGuard extends RateLimitGuard {
  protected override async counterKey(scope: RateLimitScope, props: ThrottlerRequest): Promise<string | null> {
    if (scope !== 'address') return null;
    const { req } = this.getRequestResponse(props.context);
    return `auth-attempts:${await props.getTracker(req, props.context)}`;
  }
}
