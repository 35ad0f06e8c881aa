import { Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/config.js';
import { ALL_QUEUES } from './queues.js';
import { JobQueue } from './job-queue.js';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { OutboxRelay } from './outbox-relay.js';
import { Outbox } from './outbox.js';
import { TenantJob } from './tenant-job.js';

/** BullMQ connection (own Redis prefix per environment) and the queues, for producers and workers alike. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        connection: { url: config.REDIS_URL, maxRetriesPerRequest: null },
        prefix: `${config.REDIS_PREFIX}:bull`,
        defaultJobOptions: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: 1000,
          removeOnFail: 5000,
        },
      }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  providers: [JobQueue, Outbox, TenantJob],
  exports: [BullModule, JobQueue, Outbox, TenantJob],
})
export class QueueModule {}

/**
 * The worker's own side of the queues: the outbox relay and the infrastructure's housekeeping.
 * Imported by the worker process only, as each module's processors are (XWorkerModule).
 */
@Module({ imports: [DiscoveryModule], providers: [OutboxRelay, MaintenanceProcessor] })
export class QueueWorkerModule {}
