import { databaseUrl } from '../../src/database/setup.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { APP_USER, OWNER_URL, RUN_PREFIX, TEMPLATE_DB } from './env.js';

/** A database of this run, cloned from the migrated template, and how to reach and drop it. */
export interface ClonedDatabase {
  /** Unique per clone: also names the clone's Redis prefix. */
  suffix: string;
  /** As the owner (bypasses RLS: for set-up and assertions only). */
  ownerUrl: string;
  /** As the API's request role. */
  appUrl: string;
  drop(): Promise<void>;
}

/** Clones the run's template (CREATE DATABASE … TEMPLATE): each test file works on its own database. */
export async function cloneTemplateDatabase(): Promise<ClonedDatabase> {
  const suffix = randomBytes(6).toString('hex');
  const database = `${RUN_PREFIX}_${suffix}`;
  await asPostgres(async (admin) => {
    await admin.query(`create database ${database} template ${TEMPLATE_DB}`);
    await admin.query(`grant connect on database ${database} to ${APP_USER}`);
  });
  return {
    suffix,
    ownerUrl: databaseUrl(OWNER_URL, database),
    appUrl: databaseUrl(OWNER_URL, database, APP_USER),
    drop: async () => {
      await asPostgres((admin) => admin.query(`drop database if exists ${database} with (force)`));
    },
  };
}

async function asPostgres<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: databaseUrl(OWNER_URL, 'postgres') });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
