import { Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { ThrottlerModule } from '@nestjs/throttler';
import { CommonModule } from './common/common.module.js';
import { RedisClient, RedisModule } from './common/redis/redis.module.js';
import { RedisThrottlerStorage } from './common/throttling/redis-throttler.storage.js';
import { ConfigModule } from './config/config.module.js';
import { AppConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { TenancyModule } from './modules/tenancy/tenancy.module.js';
import { PoliciesModule } from './modules/policies/policies.module.js';
import { PlansModule } from './modules/plans/plans.module.js';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module.js';
import { BillingModule } from './modules/billing/billing.module.js';
import { MeteringModule } from './modules/metering/metering.module.js';
import { loggerOptions } from './common/logging.js';
import { QueueModule } from './jobs/queue.module.js';

@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
    // No proxy providers or plugins: skipping their per-request resolution doubles a bare route's throughput.
    ClsModule.forRoot({
      global: true,
      middleware: {
        mount: true,
        generateId: true,
        idGenerator: (req: { id: string }) => String(req.id),
        resolveProxyProviders: false,
        initializePlugins: false,
      },
    }),
    DatabaseModule,
    RedisModule,
    CommonModule,
    // Rate limits (the guards in src/common/throttling name the scope they count), on Redis so
    // that every API process shares the counters.
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
    QueueModule,
    AuditModule,
    AuthModule,
    TenancyModule,
    PoliciesModule,
    PlansModule,
    SubscriptionsModule,
    BillingModule,
    MeteringModule,
    HealthModule,
  ],
})
export class AppModule {}
