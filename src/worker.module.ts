import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { CommonModule } from './common/common.module.js';
import { ThrottlingModule } from './common/throttling/throttling.module.js';
import { loggerOptions } from './common/logging.js';
import { MaintenanceProcessor } from './common/maintenance/maintenance.processor.js';
import { RedisModule } from './common/redis/redis.module.js';
import { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { QueueModule } from './jobs/queue.module.js';
import { OutboxRelay } from './jobs/outbox-relay.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { BillingModule } from './modules/billing/billing.module.js';
import { PaymentRetryProcessor, ProrationProcessor } from './modules/billing/proration.processor.js';
import { RenewalProcessor } from './modules/subscriptions/renewal.processor.js';
import { LimitWarningProcessor } from './modules/metering/limit-warning.processor.js';
import { MeteringModule } from './modules/metering/metering.module.js';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module.js';
import { PortsModule } from './ports.module.js';

/** The worker process: BullMQ processors, job schedulers and the job outbox's relay, no HTTP. */
@Module({
  imports: [
    ConfigModule,
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
    ClsModule.forRoot({ global: true }),
    DiscoveryModule,
    DatabaseModule,
    RedisModule,
    CommonModule,
    ThrottlingModule,
    AuditModule,
    QueueModule,
    SubscriptionsModule,
    BillingModule,
    MeteringModule,
    PortsModule,
  ],
  providers: [
    MaintenanceProcessor,
    ProrationProcessor,
    PaymentRetryProcessor,
    RenewalProcessor,
    LimitWarningProcessor,
    OutboxRelay,
  ],
})
export class WorkerModule {}
