import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ClockMoved } from '../../common/clock/clock-moved.js';
import { Outbox } from '../../jobs/outbox.js';
import { QUEUES } from '../../jobs/queues.js';
import { RENEWAL_SCAN_JOB } from './subscriptions.jobs.js';

/**
 * The clock's ClockMoved port: a moved clock asks for a renewal scan (idempotent), through the job
 * outbox in the move's transaction, so the move answers at once whatever Redis is doing and the
 * scan still happens once it is back.
 */
@Injectable()
export class RenewalScanOnClockMove extends ClockMoved {
  constructor(private readonly outbox: Outbox) {
    super();
  }

  moved(em: EntityManager, now: Date): Promise<void> {
    return this.outbox.add(em, [
      { queue: QUEUES.renewals, name: RENEWAL_SCAN_JOB, jobId: `scan-clock-${now.getTime()}`, data: {}, tenantId: null },
    ]);
  }
}
