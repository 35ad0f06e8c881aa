import pg from 'pg';

const OWNER_URL = process.env.TEST_DATABASE_OWNER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Drops this run's template and any database of this run a failed test file left behind. */
export default async function globalTeardown() {
  const url = new URL(OWNER_URL);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query(`select datname from pg_database where datname like $1`, [
      `eshtarek\\_test\\_${process.pid}\\_%`,
    ]);
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await admin.end();
  }
}
