import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './mikro-orm.config.js';
import { seed } from './seed.js';
import type { AppConfig } from '../config/config.js';

export class DatabaseUnreachableError extends Error {}

function parse(url: string) {
  const u = new URL(url);
  return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new DatabaseUnreachableError(`PostgreSQL is not reachable at ${new URL(url).host}: ${(error as Error).message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates, when missing: the group roles (`eshtarek_api` with the API's privileges,
 * `eshtarek_platform` for explicit cross-tenant work), the API's login role (never superuser,
 * never BYPASSRLS, owns nothing) and the database. Runs as the owner.
 */
export async function ensureDatabase(ownerUrl: string, appUrl: string, template?: string): Promise<void> {
  const owner = parse(ownerUrl);
  const app = parse(appUrl);
  const maintenance = new URL(ownerUrl);
  maintenance.pathname = '/postgres';
  await withClient(maintenance.toString(), async (client) => {
    const roles = `
      do $$ begin
        if not exists (select 1 from pg_roles where rolname = 'eshtarek_api') then
          create role eshtarek_api nologin;
        end if;
        if not exists (select 1 from pg_roles where rolname = 'eshtarek_platform') then
          create role eshtarek_platform nologin;
        end if;
        if not exists (select 1 from pg_roles where rolname = ${literal(app.user)}) then
          create role ${ident(app.user)} login nosuperuser nobypassrls nocreatedb nocreaterole
            ${app.password ? `password ${literal(app.password)}` : ''};
        end if;
      end $$;
      grant eshtarek_api to ${ident(app.user)};
      grant eshtarek_platform to ${ident(app.user)};`;
    try {
      await client.query(roles);
    } catch (error) {
      // Concurrent set-ups (parallel test workers) may race on CREATE ROLE; the loser retries once.
      if ((error as { code?: string }).code !== '23505') throw error;
      await client.query(roles);
    }
    const exists = await client.query('select 1 from pg_database where datname = $1', [app.database]);
    if (!exists.rowCount) {
      await client.query(
        `create database ${ident(app.database)} owner ${ident(owner.user)}${template ? ` template ${ident(template)}` : ''}`,
      );
    }
    await client.query(`grant connect on database ${ident(app.database)} to ${ident(app.user)}`);
  });
}

/** Applies every pending migration as the owner. */
export async function migrate(ownerUrl: string): Promise<string[]> {
  const orm = await MikroORM.init(ormConfig(ownerUrl, 2));
  try {
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close();
  }
}

/** Everything `npm start` (and the compose `setup` service) does to the database before serving. */
export async function prepareDatabase(config: AppConfig): Promise<{ applied: string[]; demo: boolean }> {
  await ensureDatabase(config.DATABASE_OWNER_URL, config.DATABASE_URL);
  const applied = await migrate(config.DATABASE_OWNER_URL);
  const { demo } = await seed(config);
  return { applied, demo };
}
