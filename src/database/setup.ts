import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { migrationConfig } from './mikro-orm.config.js';
import { seed, type SeedTools } from './seed.js';
import { credentialSealKey } from './credential-seal.js';
import type { AppConfig } from '../config/config.js';

export class DatabaseUnreachableError extends Error {}
/** A database URL the set-up will not act on (it would hand out or take away privileges it should not). */
export class DatabaseSetupRefused extends Error {}

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
 * Concurrent set-ups (parallel test runs) may race on the same catalog row: CREATE ROLE (23505) or
 * two changes of one role or database ("tuple concurrently updated", XX000). The loser tries again.
 */
async function withRetry<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !['23505', 'XX000'].includes((error as { code?: string }).code ?? '')) throw error;
    }
  }
}

/** The cross-tenant login role: its policies see every tenant (see the migrations). */
export const PLATFORM_ROLE = 'eshtarek_platform';
/** Roles of the layout: never the API's login role. */
const RESERVED_ROLES = ['eshtarek_api', PLATFORM_ROLE, 'eshtarek_credentials'];

/** `base` pointed at another database (and, given `user`, signed in as that role without a password). */
export function databaseUrl(base: string, database: string, user?: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  if (user) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

/**
 * The platform path's connection: `DATABASE_PLATFORM_URL`, or by default the API's URL with the
 * user `eshtarek_platform` (same host, database and password).
 */
export function platformDatabaseUrl(config: { DATABASE_URL: string; DATABASE_PLATFORM_URL?: string }): string {
  if (config.DATABASE_PLATFORM_URL) return config.DATABASE_PLATFORM_URL;
  const url = new URL(config.DATABASE_URL);
  url.username = PLATFORM_ROLE;
  return url.toString();
}

/**
 * Creates the roles and the database when missing, and converges an existing cluster to this
 * layout (an older one made the API's login role a member of eshtarek_platform):
 * - `eshtarek_api` (no login): the privileges of the API's request role;
 * - the API's login role (from `appUrl`): member of `eshtarek_api` and of nothing else, never
 *   superuser, never BYPASSRLS, owns nothing;
 * - `eshtarek_platform`: the cross-tenant path, a login role of its own (`platformUrl`) that the
 *   request role cannot switch to;
 * - `eshtarek_credentials` (no login): owns the narrow functions that reach credential tables.
 * Runs as the owner; idempotent.
 */
export async function ensureDatabase(
  ownerUrl: string,
  appUrl: string,
  template?: string,
  platformUrl: string = platformDatabaseUrl({ DATABASE_URL: appUrl }),
): Promise<void> {
  const owner = parse(ownerUrl);
  const app = parse(appUrl);
  const platform = parse(platformUrl);
  if (RESERVED_ROLES.includes(app.user)) throw new DatabaseSetupRefused(`DATABASE_URL must not connect as ${app.user}.`);
  if (platform.user !== PLATFORM_ROLE) throw new DatabaseSetupRefused(`DATABASE_PLATFORM_URL must connect as ${PLATFORM_ROLE}.`);
  if (app.user === owner.user)
    throw new DatabaseSetupRefused(
      `DATABASE_URL connects as ${app.user}, the owner (DATABASE_OWNER_URL): requests must run as a role of their own, e.g. eshtarek_app.`,
    );
  const maintenance = new URL(ownerUrl);
  maintenance.pathname = '/postgres';
  await withClient(maintenance.toString(), async (client) => {
    const roles = `
      do $$ begin
        if not exists (select 1 from pg_roles where rolname = 'eshtarek_api') then
          create role eshtarek_api nologin;
        end if;
        if not exists (select 1 from pg_roles where rolname = 'eshtarek_credentials') then
          create role eshtarek_credentials nologin;
        end if;
        if not exists (select 1 from pg_roles where rolname = ${literal(PLATFORM_ROLE)}) then
          create role ${ident(PLATFORM_ROLE)} login ${platform.password ? `password ${literal(platform.password)}` : ''};
        end if;
        if not exists (select 1 from pg_roles where rolname = ${literal(app.user)}) then
          create role ${ident(app.user)} login nosuperuser nobypassrls nocreatedb nocreaterole
            ${app.password ? `password ${literal(app.password)}` : ''};
        end if;
      end $$;`;
    // The set-up strips the request role of every privilege but its own: never do that to an
    // existing superuser (a DATABASE_URL naming one would demote it, perhaps the cluster's only one).
    const { rows: privileged } = await client.query('select 1 from pg_roles where rolname = $1 and rolsuper', [app.user]);
    if (privileged.length)
      throw new DatabaseSetupRefused(
        `DATABASE_URL connects as ${app.user}, a superuser: requests must run as an unprivileged role of their own, e.g. eshtarek_app.`,
      );
    await withRetry(() => client.query(roles));
    // Converge attributes and memberships, whatever an earlier layout left. Only what differs is
    // altered: concurrent set-ups (parallel test runs) altering the same role would collide.
    const attributes = (role: string, login: boolean) => `
        if exists (select 1 from pg_roles where rolname = ${literal(role)} and (rolcanlogin <> ${login} or rolsuper
                   or rolbypassrls or rolcreatedb or rolcreaterole)) then
          alter role ${ident(role)} ${login ? 'login' : 'nologin'} nosuperuser nobypassrls nocreatedb nocreaterole;
        end if;`;
    const converge = `
      do $$ begin
        ${
          platform.password
            ? `if exists (select 1 from pg_roles where rolname = ${literal(PLATFORM_ROLE)} and not rolcanlogin) then
                 alter role ${ident(PLATFORM_ROLE)} password ${literal(platform.password)};
               end if;`
            : ''
        }
        ${attributes('eshtarek_api', false)}
        ${attributes('eshtarek_credentials', false)}
        ${attributes(PLATFORM_ROLE, true)}
        ${attributes(app.user, true)}
        if not pg_has_role(${literal(app.user)}, 'eshtarek_api', 'member') then
          grant eshtarek_api to ${ident(app.user)};
        end if;
      end $$;`;
    await withRetry(() => client.query(converge));
    // The API's login role is a member of eshtarek_api only; nobody may switch to the platform or credentials roles.
    const { rows: memberships } = await client.query<{ role: string; member: string }>(
      `select g.rolname as role, m.rolname as member
         from pg_auth_members am join pg_roles g on g.oid = am.roleid join pg_roles m on m.oid = am.member
        where (m.rolname = $1 and g.rolname <> 'eshtarek_api') or m.rolname = any($2) or g.rolname = any($3)`,
      [app.user, RESERVED_ROLES, [PLATFORM_ROLE, 'eshtarek_credentials']],
    );
    for (const { role, member } of memberships)
      await withRetry(() => client.query(`revoke ${ident(role)} from ${ident(member)}`));

    const exists = await client.query('select 1 from pg_database where datname = $1', [app.database]);
    if (!exists.rowCount) {
      await client.query(
        `create database ${ident(app.database)} owner ${ident(owner.user)}${template ? ` template ${ident(template)}` : ''}`,
      );
    }
    await withRetry(() =>
      client.query(`grant connect on database ${ident(app.database)} to ${ident(app.user)}, ${ident(PLATFORM_ROLE)}`),
    );
  });
}

/**
 * Installs (or replaces, after the secret changed) the key the database checks credential calls
 * against: readable only by the credential functions' owner. Runs as the owner after migrating.
 */
export async function installCredentialSeal(ownerUrl: string, secret: string): Promise<void> {
  await withClient(ownerUrl, (client) =>
    client.query('insert into credential_seal (key) values ($1) on conflict (singleton) do update set key = excluded.key', [
      credentialSealKey(secret),
    ]),
  );
}

/** Applies every pending migration as the owner. */
export async function migrate(ownerUrl: string): Promise<string[]> {
  const orm = await MikroORM.init(migrationConfig(ownerUrl));
  try {
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close();
  }
}

/** Everything `npm start` (and the compose `setup` service) does to the database before serving. */
export async function prepareDatabase(config: AppConfig, tools: SeedTools): Promise<{ applied: string[]; demo: boolean }> {
  await ensureDatabase(config.DATABASE_OWNER_URL, config.DATABASE_URL, undefined, platformDatabaseUrl(config));
  const applied = await migrate(config.DATABASE_OWNER_URL);
  await installCredentialSeal(config.DATABASE_OWNER_URL, config.JWT_SECRET);
  const { demo } = await seed(config, tools);
  return { applied, demo };
}
