import { Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { CommonModule } from './common/common.module.js';
import { ThrottlingModule } from './common/throttling/throttling.module.js';
import { loggerOptions } from './common/logging.js';
import { RedisModule } from './common/redis/redis.module.js';
import { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { entities } from './entities.js';
import { QueueModule, QueueWorkerModule } from './jobs/queue.module.js';
import { AuthWorkerModule } from './modules/auth/auth.module.js';
import { BillingWorkerModule } from './modules/billing/billing.module.js';
import { MeteringWorkerModule } from './modules/metering/metering.module.js';
import { SubscriptionsWorkerModule } from './modules/subscriptions/subscriptions.module.js';
import { PortsModule } from './ports.module.js';

/** The worker process: each module's processors and job schedulers, and the job outbox's relay, no HTTP. */
@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
    ClsModule.forRoot({ global: true }),
    DatabaseModule.forRoot(entities),
    RedisModule,
    CommonModule,
    ThrottlingModule,
    QueueModule,
    QueueWorkerModule,
    AuthWorkerModule,
    SubscriptionsWorkerModule,
    BillingWorkerModule,
    MeteringWorkerModule,
    PortsModule,
  ],
})
export class WorkerModule {}
