import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { Errors } from '../../common/errors/app-error.js';
import { outageOf } from '../../common/errors/outages.js';
import { RedisClient } from '../../common/redis/redis.module.js';

/**
 * One attempt counted and the window started (if new) in a single step, so that concurrent
 * attempts each see their own count. Returns the count and the seconds left in the window.
 */
const COUNT_ATTEMPT = `
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('TTL', KEYS[1]) }`;

/**
 * Password attempts per account (sign-in, ops dashboard sign-in, password change), counted in
 * Redis over a fixed window. Every attempt is counted *before* the password is checked — a check
 * takes tens of milliseconds, and counting only failures afterwards let 25 concurrent guesses all
 * pass the limit — and a correct password clears the count. Past the limit every attempt on that
 * account answers 429 with Retry-After until the window ends, even with the right password.
 *
 * Without Redis the count cannot be kept, and a password check without it would let guesses
 * through unlimited: sign-in then fails closed, at once, with 503 `service_unavailable` and
 * Retry-After (the API never waits on Redis).
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);

  constructor(
    private readonly redis: RedisClient,
    private readonly config: AppConfig,
  ) {}

  private key(email: string): string {
    return `auth:failed:${email.toLowerCase()}`;
  }

  /** Counts an attempt on the account; 429 `rate_limited` once it is over the limit. */
  async attempt(email: string): Promise<void> {
    let count: number;
    let ttl: number;
    try {
      this.redis.assertReady();
      [count, ttl] = (await this.redis.eval(COUNT_ATTEMPT, 1, this.key(email), this.config.AUTH_THROTTLE_WINDOW_SECONDS)) as [
        number,
        number,
      ];
    } catch (error) {
      if (!outageOf(error)) throw error;
      const retryAfter = this.config.OUTAGE_RETRY_AFTER_SECONDS;
      throw Errors.serviceUnavailable(
        `Sign-in is unavailable for a moment (its attempt counter cannot be reached); retry after ${retryAfter} seconds`,
        retryAfter,
      );
    }
    if (count > this.config.LOGIN_MAX_FAILURES_PER_ACCOUNT) {
      throw Errors.rateLimited(ttl > 0 ? ttl : this.config.AUTH_THROTTLE_WINDOW_SECONDS);
    }
  }

  /** The password was right: the attempts so far were the owner's. */
  async succeeded(email: string): Promise<void> {
    // The attempt was counted and the password is right: a count that stays (Redis just went away) only expires later.
    await this.redis
      .del(this.key(email))
      .catch((error: Error) => this.logger.warn(`could not clear sign-in attempts: ${error.message}`));
  }
}
