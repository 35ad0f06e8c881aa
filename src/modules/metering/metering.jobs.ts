/** Metering's jobs, on the `limit-warnings` queue (QUEUES.limitWarnings). */

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
