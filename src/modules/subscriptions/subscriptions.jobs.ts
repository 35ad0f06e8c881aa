/** Subscriptions' jobs, on the `renewals` queue (QUEUES.renewals). */

/** Finds due renewals and collections in the database: a job scheduler, and on demand when the clock moves. */
export const RENEWAL_SCAN_JOB = 'scan';

/** The job scheduler that runs the scan every RENEWAL_SCAN_EVERY_MS. */
export const RENEWAL_SCAN_SCHEDULER = 'renewal-scan';

/** Renews what is due, the subscription it names among it. */
export const RENEW_JOB = 'renew';

export interface RenewJob {
  tenantId: string;
  subscriptionId: string;
}
