import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * What a move of the application clock makes due at once (renewals and retries), asked for in the
 * move's own transaction. Declared here for the clock; the subscriptions module implements it
 * (common imports no module: bound in src/ports.module.ts).
 */
export abstract class ClockMoved {
  abstract moved(em: EntityManager, now: Date): Promise<void>;
}
