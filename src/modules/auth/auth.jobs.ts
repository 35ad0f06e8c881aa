/** Auth's jobs, on the `sessions` queue (QUEUES.sessions). */

/** The hourly job (and its job scheduler's id) that purges ended sessions. */
export const SESSION_PURGE_JOB = 'purge-ended';

/** Revoked sessions are kept this long (to look into), then purged with the expired ones. */
export const REVOKED_SESSIONS_KEPT_DAYS = 7;
