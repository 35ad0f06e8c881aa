import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { AppConfig } from '../config/config.js';
import { ConfiguredWorker } from './configured-worker.js';
import { KeptScheduler } from './kept-scheduler.js';

/** A job that a queue runs on a schedule: the scheduler's id, the job it adds, how often. */
export interface Schedule {
  id: string;
  jobName: string;
  everyMs: number;
}

/**
 * Base of a processor whose queue also runs a job on a schedule: the job scheduler is upserted
 * when the worker starts and kept in place (recreated within a scan interval, RENEWAL_SCAN_EVERY_MS,
 * whenever Redis has lost it) until it stops.
 */
export abstract class ScheduledWorker extends ConfiguredWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly scheduler: KeptScheduler;

  constructor(queue: Queue, schedule: Schedule, config: AppConfig) {
    super(config);
    this.scheduler = new KeptScheduler(queue, schedule.id, schedule.everyMs, schedule.jobName, config.RENEWAL_SCAN_EVERY_MS);
  }

  override async onApplicationBootstrap(): Promise<void> {
    super.onApplicationBootstrap();
    await this.scheduler.start();
  }

  onApplicationShutdown(): void {
    this.scheduler.stop();
  }
}
