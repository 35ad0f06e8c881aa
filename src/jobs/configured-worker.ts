import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import type { AppConfig } from '../config/config.js';

const ERROR_LOG_EVERY_MS = 60_000;

/**
 * Base of every processor: declare it with `@Processor(name, { autorun: false })`; the worker is
 * started here once configured (concurrency, and the job lock after which a killed worker's job
 * is taken over as stalled). While Redis is away the worker keeps reconnecting by itself; its
 * connection errors are logged at most once a minute, not once per attempt.
 */
export abstract class ConfiguredWorker extends WorkerHost implements OnApplicationBootstrap {
  private readonly workerLogger = new Logger(this.constructor.name);
  private lastErrorLog = 0;

  constructor(private readonly workerConfig: AppConfig) {
    super();
  }

  onApplicationBootstrap(): void {
    const worker = this.worker;
    worker.concurrency = this.workerConfig.WORKER_CONCURRENCY;
    Object.assign(worker.opts, { lockDuration: this.workerConfig.JOB_LOCK_MS, stalledInterval: this.workerConfig.JOB_LOCK_MS });
    worker.on('error', (error: Error) => {
      if (Date.now() - this.lastErrorLog < ERROR_LOG_EVERY_MS) return;
      this.lastErrorLog = Date.now();
      this.workerLogger.warn(`queue ${worker.name}: ${error.message}`);
    });
    void worker.run();
  }
}
