/**
 * `npm run check:sql`: the metering functions in a migrated database are their declarations
 * (src/modules/metering/sql/), and the last migration applying them was written for the current ones.
 *
 * Without an argument it migrates a scratch database (CHECK_SQL_OWNER_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres, names the server), checks it and drops it. With a
 * database URL (as its owner) it checks that database instead, migrating nothing: e.g. production.
 * Exits 1 with what differs.
 */
import pg from 'pg';
import { migrationsList } from '../migrations/index.js';
import { databaseUrl, ensureDatabase, migrate } from '../src/database/setup.js';
import { meteringFunctionDrift, meteringMigrationDrift } from '../src/modules/metering/sql/drift.js';

const OWNER_URL = process.env.CHECK_SQL_OWNER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const APP_USER = process.env.CHECK_SQL_APP_USER ?? 'eshtarek_app';

const dbUrl = (database: string, user?: string) => databaseUrl(OWNER_URL, database, user);

async function check(ownerUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    return await meteringFunctionDrift(client);
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  const target = process.argv[2];
  const problems = meteringMigrationDrift(migrationsList);
  if (target) {
    problems.push(...(await check(target)));
  } else {
    const database = `eshtarek_sqlcheck_${process.pid}`;
    try {
      await ensureDatabase(dbUrl(database), dbUrl(database, APP_USER));
      await migrate(dbUrl(database));
      problems.push(...(await check(dbUrl(database))));
    } finally {
      const admin = new pg.Client({ connectionString: dbUrl('postgres') });
      await admin.connect();
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
    }
  }
  if (problems.length) {
    process.stderr.write(
      `Metering functions differ from src/modules/metering/sql/:\n${problems.map((p) => `- ${p}`).join('\n')}\n`,
    );
    return 1;
  }
  process.stdout.write('Metering functions match their declarations (src/modules/metering/sql/).\n');
  return 0;
}

// exitCode, not exit(): the report on a pipe is written before the process ends.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
