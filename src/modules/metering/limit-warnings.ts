import { Injectable, Logger } from '@nestjs/common';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';

export const LIMIT_WARNING_JOB = 'warn';

/** A threshold crossed by one write: the job records it once as a notification. */
export interface LimitWarningJob {
  tenantId: string;
  subscriptionId: string;
  metric: string;
  periodStart: string;
  threshold: number;
  used: number;
  limit: number;
}

/**
 * Producer side of the `limit-warnings` queue. The write that crossed the threshold has already
 * committed (it was one statement), so the job is added at once, and the write never waits for
 * it; the job id names the warning, so duplicates collapse while pending, and the notification's
 * unique key makes a second one impossible anyway.
 */
@Injectable()
export class LimitWarnings {
  private readonly logger = new Logger(LimitWarnings.name);

  constructor(private readonly jobs: JobQueue) {}

  raise(warning: LimitWarningJob): void {
    const id = `warn-${warning.subscriptionId}-${warning.metric}-${Date.parse(warning.periodStart)}-${warning.threshold}`;
    this.jobs
      .queue(QUEUES.limitWarnings)
      .add(LIMIT_WARNING_JOB, warning, workJob(id))
      .catch((error: Error) => this.logger.error({ err: error, warning }, 'could not enqueue a limit warning'));
  }
}
