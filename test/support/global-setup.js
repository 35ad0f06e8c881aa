// Plain ESM (Jest loads global set-up outside its transform): uses the build that `pretest` made.
import pg from 'pg';
import { databaseUrl, ensureDatabase, migrate } from '../../dist/src/database/setup.js';

const OWNER_URL = process.env.TEST_DATABASE_OWNER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const APP_USER = process.env.TEST_DATABASE_APP_USER ?? 'eshtarek_app';

const dbUrl = (database, user) => databaseUrl(OWNER_URL, database, user);

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Builds this run's template database once: every test file clones it (CREATE DATABASE …
 * TEMPLATE). Databases are named after the run's pid, so concurrent runs never touch each
 * other's, and leftovers of dead runs are dropped here.
 */
export default async function globalSetup() {
  const template = `eshtarek_test_${process.pid}_tpl`;
  process.env.ESHTAREK_TEST_TEMPLATE = template;
  const admin = new pg.Client({ connectionString: dbUrl('postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query(`select datname from pg_database where datname like 'eshtarek\\_test\\_%'`);
    for (const { datname } of rows) {
      const pid = Number(datname.split('_')[2]);
      if (!alive(pid) || pid === process.pid) await admin.query(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await admin.end();
  }
  await ensureDatabase(dbUrl(template), dbUrl(template, APP_USER));
  await migrate(dbUrl(template));
}
