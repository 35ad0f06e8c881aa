import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { JobsOptions, Queue } from 'bullmq';
import { Outbox } from './outbox.js';
import { ALL_QUEUES, type QueueName } from './queues.js';

const ERROR_LOG_EVERY_MS = 60_000;

/**
 * Options of a job whose id names its work (a subscription's period, an invoice's attempt): it
 * collapses duplicates while pending, is retried a few times on failure, and is removed once done
 * or given up, so that a later scan can enqueue the same id again (a failed job kept under that id
 * would block its work for good). The database keeps the history and says what is still due.
 */
export const workJob = (jobId: string): JobsOptions & { jobId: string } => ({
  jobId,
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
});

/**
 * Producer side of every queue. Requests never talk to Redis: work that a change needs is written
 * to the job outbox in the change's transaction (`enqueueAfterCommit`), and the worker hands it to
 * BullMQ. Scans in the worker, which rebuild their work from the database anyway, enqueue directly
 * (`queue(name)`).
 */
@Injectable()
export class JobQueue implements OnModuleInit {
  private readonly logger = new Logger(JobQueue.name);
  private lastErrorLog = 0;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly outbox: Outbox,
  ) {}

  /** A queue's connection errors (Redis away) are logged at most once a minute, not once per reconnection. */
  onModuleInit(): void {
    for (const name of ALL_QUEUES) {
      this.queue(name).on('error', (error: Error) => {
        if (Date.now() - this.lastErrorLog < ERROR_LOG_EVERY_MS) return;
        this.lastErrorLog = Date.now();
        this.logger.warn(`queue ${name}: ${error.message}`);
      });
    }
  }

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  /**
   * Enqueues once the current transaction commits, durably: the job is written to the outbox in
   * that transaction (nothing if it rolls back) and reaches its queue through the worker's relay,
   * even if Redis is down now or loses it later. `jobId` names the work: duplicates collapse.
   */
  enqueueAfterCommit(
    name: QueueName,
    jobName: string,
    data: { tenantId: string | null; [field: string]: unknown },
    options: { jobId: string },
  ): void {
    this.outbox.addWithCurrentTransaction([
      { queue: name, name: jobName, jobId: options.jobId, data: { ...data }, tenantId: data.tenantId },
    ]);
  }
}
