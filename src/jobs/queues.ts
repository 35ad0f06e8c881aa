/**
 * Every BullMQ queue of the platform: the registry both processes register (QueueModule), Bull
 * Board lists and the outbox relay hands rows to. Queue names are shared by the two processes and
 * kept in Redis, so they are infrastructure; what runs on a queue — job names and payloads — is
 * its module's (`x.jobs.ts`), and so is its processor.
 */
export const QUEUES = {
  maintenance: 'maintenance',
  sessions: 'sessions',
  proration: 'proration',
  renewals: 'renewals',
  paymentRetries: 'payment-retries',
  limitWarnings: 'limit-warnings',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const ALL_QUEUES: QueueName[] = Object.values(QUEUES);
