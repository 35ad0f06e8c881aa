/** Every BullMQ queue of the platform; Bull Board shows each of them. */
export const QUEUES = {
  maintenance: 'maintenance',
  proration: 'proration',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const ALL_QUEUES: QueueName[] = Object.values(QUEUES);
