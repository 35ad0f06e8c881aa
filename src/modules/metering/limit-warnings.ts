import { Injectable, Logger } from '@nestjs/common';
import { Outbox } from '../../jobs/outbox.js';
import { QUEUES } from '../../jobs/queues.js';
import { LIMIT_WARNING_JOB, type LimitWarningJob } from './metering.jobs.js';

/**
 * Producer side of the `limit-warnings` queue. The write that crossed the thresholds has already
 * committed (it was one statement), so the warnings go to the job outbox in a transaction of their
 * own right after it — in the database, not in Redis, so that a Redis that is down or loses its
 * queues loses no warning. The job id names the warning, so duplicates collapse, and the
 * notification's unique key makes a second one impossible anyway. A failure here never fails the
 * usage write (it is logged).
 */
@Injectable()
export class LimitWarnings {
  private readonly logger = new Logger(LimitWarnings.name);

  constructor(private readonly outbox: Outbox) {}

  async raise(warnings: LimitWarningJob[]): Promise<void> {
    if (!warnings.length) return;
    const jobs = warnings.map((warning) => ({
      queue: QUEUES.limitWarnings,
      name: LIMIT_WARNING_JOB,
      jobId: `warn-${warning.subscriptionId}-${warning.metric}-${Date.parse(warning.periodStart)}-${warning.threshold}`,
      data: { ...warning },
      tenantId: warning.tenantId,
    }));
    await this.outbox
      .addInTenant(warnings[0].tenantId, jobs)
      .catch((error: Error) => this.logger.error({ err: error, warnings }, 'could not record limit warnings'));
  }
}
