import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { JobsOptions, Queue } from 'bullmq';
import { TenantSession } from '../database/tenant-session.js';
import type { QueueName } from './queues.js';

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

/** Producer side of every queue: jobs are enqueued only after the transaction that needs them commits. */
@Injectable()
export class JobQueue {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly session: TenantSession,
  ) {}

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  /** Enqueue after commit; `jobId` makes duplicates collapse into one job. */
  enqueueAfterCommit(name: QueueName, jobName: string, data: object, options: JobsOptions & { jobId: string }): void {
    this.session.afterCommit(() => this.queue(name).add(jobName, data, options));
  }
}
