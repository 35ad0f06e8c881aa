import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../database/ids.js';
import { TenantSession } from '../database/tenant-session.js';
import type { QueueName } from './queues.js';

/** One piece of work for a queue, as the outbox keeps it until its job has completed. */
export interface OutboxJob {
  queue: QueueName;
  /** The job's name on its queue (what the processor switches on). */
  name: string;
  /** Names the work (an invoice's attempt, a warning): pending once, and the BullMQ job id. */
  jobId: string;
  data: Record<string, unknown>;
  /** The tenant the work is for; null for platform work (only the platform path may write it). */
  tenantId: string | null;
}

/** The job data field naming the outbox row, so that the worker marks it done when the job completes. */
export const OUTBOX_ID_FIELD = 'outboxId';

const insert = (rows: number) =>
  `insert into job_outbox (id, tenant_id, queue, job_name, job_id, payload)
   values ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?::jsonb)').join(', ')}
   on conflict do nothing`;

/**
 * The producer side of the transactional outbox (table `job_outbox`): work that a change makes
 * necessary is written in the change's own transaction, so it exists exactly when the change does,
 * whatever Redis is doing. The worker's `OutboxRelay` hands pending rows to BullMQ and marks each
 * done once its job has completed; until then a row is handed over again (after a Redis that lost
 * everything, too). Processors must be idempotent — they are: each re-reads its state under a lock.
 * Outbound webhooks can ride on the same table (a `webhooks` queue and its delivery job).
 */
@Injectable()
export class Outbox {
  constructor(private readonly session: TenantSession) {}

  /** Writes the jobs in the transaction `em` belongs to (a request's, a job's or the platform path's). */
  async add(em: EntityManager, jobs: OutboxJob[]): Promise<void> {
    if (!jobs.length) return;
    await em.execute(
      insert(jobs.length),
      jobs.flatMap((j) => [newId(), j.tenantId, j.queue, j.name, j.jobId, JSON.stringify(j.data)]),
    );
  }

  /** Writes the jobs when the current TenantSession transaction commits (in it, at its end). */
  addWithCurrentTransaction(jobs: OutboxJob[]): void {
    this.session.beforeCommit((em) => this.add(em, jobs));
  }

  /** Writes the jobs in a transaction of their own in the tenant (after a write that was a single statement). */
  addInTenant(tenantId: string, jobs: OutboxJob[]): Promise<void> {
    return this.session.run({ tenantId }, (em) => this.add(em, jobs));
  }
}
