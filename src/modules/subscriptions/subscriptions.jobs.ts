/** Subscriptions' jobs, on the `renewals` queue (QUEUES.renewals). */

/** Finds due renewals and collections in the database: a job scheduler, and on demand when the clock moves. */
export const RENEWAL_SCAN_JOB = 'scan';

/** The job scheduler that runs the scan every RENEWAL_SCAN_EVERY_MS. */
export const RENEWAL_SCAN_SCHEDULER = 'renewal-scan';

/**
 * The renewals queue's work job: renews due subscriptions batch by batch — the one its payload
 * names (`subscriptionId`, after a recovery), or (a scan's sweep, no payload) every one it can lock.
 */
export const RENEW_DUE_JOB = 'renew-due';

export interface RenewDueJob {
  tenantId?: string;
  subscriptionId?: string;
}
