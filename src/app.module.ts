import { Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { CommonModule } from './common/common.module.js';
import { RedisModule } from './common/redis/redis.module.js';
import { ThrottlingModule } from './common/throttling/throttling.module.js';
import { ConfigModule } from './config/config.module.js';
import { AppConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { entities } from './entities.js';
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
import { PortsModule } from './ports.module.js';

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
    DatabaseModule.forRoot(entities),
    RedisModule,
    CommonModule,
    ThrottlingModule,
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
    PortsModule,
  ],
})
export class AppModule {}
