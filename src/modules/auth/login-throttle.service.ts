import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { Errors } from '../../common/errors/app-error.js';
import { RedisClient } from '../../common/redis/redis.module.js';

/**
 * Failed sign-ins per account, counted in Redis over a fixed window. Past the limit, every
 * sign-in to that account answers 429 with Retry-After until the window ends — even with the
 * right password, so guessing cannot continue.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: AppConfig,
  ) {}

  private key(email: string): string {
    return `auth:failed:${email.toLowerCase()}`;
  }

  async assertAllowed(email: string): Promise<void> {
    const [count, ttl] = await Promise.all([this.redis.get(this.key(email)), this.redis.ttl(this.key(email))]);
    if (Number(count ?? 0) >= this.config.LOGIN_MAX_FAILURES_PER_ACCOUNT) {
      throw Errors.rateLimited(ttl > 0 ? ttl : this.config.AUTH_THROTTLE_WINDOW_SECONDS);
    }
  }

  async recordFailure(email: string): Promise<void> {
    const key = this.key(email);
    const [[, count]] = (await this.redis.multi().incr(key).ttl(key).exec()) as [[null, number], [null, number]];
    if (count === 1) await this.redis.expire(key, this.config.AUTH_THROTTLE_WINDOW_SECONDS);
  }

  async reset(email: string): Promise<void> {
    await this.redis.del(this.key(email));
  }
}
