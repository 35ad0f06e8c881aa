import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { Errors } from '../../common/errors/app-error.js';

/**
 * Sign-in and registration attempts per client address (@nestjs/throttler): one shared counter
 * for both routes, answered 429 `rate_limited` with Retry-After past the configured limit.
 */
@Injectable()
export class AuthAttemptsGuard extends ThrottlerGuard {
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `auth-attempts:${name}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw Errors.rateLimited(detail.timeToBlockExpire);
  }
}
