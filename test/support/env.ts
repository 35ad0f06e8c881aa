/** Where the e2e suite's databases live; override with TEST_DATABASE_OWNER_URL / TEST_DATABASE_APP_URL. */
export const OWNER_URL = process.env.TEST_DATABASE_OWNER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const APP_USER = process.env.TEST_DATABASE_APP_USER ?? 'eshtarek_app';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** This run's migrated template, built by global-setup.js; test databases are named after it. */
export const TEMPLATE_DB = process.env.ESHTAREK_TEST_TEMPLATE ?? 'missing_template';
export const RUN_PREFIX = TEMPLATE_DB.replace(/_tpl$/, '');

/**
 * argon2id as cheap as NODE_ENV=test allows it (1 MiB, one pass: about 1 ms instead of ~30 ms a
 * hash); still argon2id, so hashes, verification and the unknown-email decoy work as in production,
 * whose configuration refuses these values.
 */
export const TEST_HASHING = { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' } as const;
