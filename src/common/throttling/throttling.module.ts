import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/config.js';
import { RedisClient } from '../redis/redis.module.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

/**
 * Rate limits (the guards beside this file name the scope each one counts), on Redis so that
 * every API process shares the counters. The worker imports it too: it loads the modules whose
 * controllers carry the guards, though it serves no requests.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisClient],
      useFactory: (config: AppConfig, redis: RedisClient) => ({
        storage: new RedisThrottlerStorage(redis),
        throttlers: [
          { name: 'address', ttl: config.AUTH_THROTTLE_WINDOW_SECONDS * 1000, limit: config.AUTH_MAX_ATTEMPTS_PER_ADDRESS },
          { name: 'user', ttl: config.CREATE_THROTTLE_WINDOW_SECONDS * 1000, limit: config.CREATE_MAX_PER_USER },
          { name: 'tenant', ttl: config.CREATE_THROTTLE_WINDOW_SECONDS * 1000, limit: config.CREATE_MAX_PER_TENANT },
        ],
      }),
    }),
  ],
})
export class ThrottlingModule {}
