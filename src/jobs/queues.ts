/** Every BullMQ queue of the platform; Bull Board shows each of them. */
export const QUEUES = {
  maintenance: 'maintenance',
} as const;

export const ALL_QUEUES = Object.values(QUEUES);
