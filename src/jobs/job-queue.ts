import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { JobsOptions, Queue } from 'bullmq';
import { TenantSession } from '../database/tenant-session.js';
import type { QueueName } from './queues.js';

/**
 * Options of a job whose id names its work (a subscription's period, an invoice's attempt): it
 * collapses duplicates while pending, and is removed once done, so that if the work turns out not
 * to be due yet, a later scan can enqueue the same id again. The database keeps the history.
 */
export const workJob = (jobId: string): JobsOptions & { jobId: string } => ({ jobId, removeOnComplete: true });

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
