/** Every BullMQ queue of the platform; Bull Board shows each of them. */
export const QUEUES = {
  maintenance: 'maintenance',
  proration: 'proration',
  renewals: 'renewals',
  paymentRetries: 'payment-retries',
  limitWarnings: 'limit-warnings',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const ALL_QUEUES: QueueName[] = Object.values(QUEUES);

/** The renewals queue's database scan (job scheduler, and on demand when the clock moves). */
export const RENEWAL_SCAN_JOB = 'scan';
