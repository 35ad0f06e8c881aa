import { OnApplicationBootstrap } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import type { AppConfig } from '../config/config.js';

/**
 * Base of every processor: declare it with `@Processor(name, { autorun: false })`; the worker is
 * started here once configured (concurrency, and the job lock after which a killed worker's job
 * is taken over as stalled).
 */
export abstract class ConfiguredWorker extends WorkerHost implements OnApplicationBootstrap {
  constructor(private readonly workerConfig: AppConfig) {
    super();
  }

  onApplicationBootstrap(): void {
    const worker = this.worker;
    worker.concurrency = this.workerConfig.WORKER_CONCURRENCY;
    Object.assign(worker.opts, { lockDuration: this.workerConfig.JOB_LOCK_MS, stalledInterval: this.workerConfig.JOB_LOCK_MS });
    void worker.run();
  }
}
