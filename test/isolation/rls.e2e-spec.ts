import { createHmac, randomUUID } from 'node:crypto';
import pg from 'pg';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { APP_USER, OWNER_URL } from '../support/env.js';
import { databaseUrl, DatabaseSetupRefused, ensureDatabase } from '../../src/database/setup.js';
import { credentialSealKey, sealMessages } from '../../src/database/credential-seal.js';
import { RenewalService } from '../../src/modules/subscriptions/renewal.service.js';
import { MaintenanceProcessor } from '../../src/jobs/maintenance.processor.js';
import { SessionPurgeProcessor } from '../../src/modules/auth/session-purge.processor.js';
import {
  addCard,
  addMember,
  createApiKey,
  createPlan,
  createPlatformAdmin,
  createPolicy,
  createTenantWithAdmin,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/**
 * Every tenant-owned table and the column that names its tenant. `tenants` is keyed by its own id;
 * every other table with a `tenant_id` column must be listed here (a test below enforces it).
 */
const TENANT_TABLES: Record<string, string> = {
  tenants: 'id',
  memberships: 'tenant_id',
  invitations: 'tenant_id',
  audit_logs: 'tenant_id',
  subscriptions: 'tenant_id',
  payment_methods: 'tenant_id',
  invoices: 'tenant_id',
  invoice_lines: 'tenant_id',
  payments: 'tenant_id',
  credit_ledger: 'tenant_id',
  charge_intents: 'tenant_id',
  tenant_counters: 'tenant_id',
  api_keys: 'tenant_id',
  usage_counters: 'tenant_id',
  usage_gauges: 'tenant_id',
  usage_events: 'tenant_id',
  notifications: 'tenant_id',
  job_outbox: 'tenant_id',
};

/**
 * Tenant tables the request role may only write to (INSERT, own tenant only), never read: the job
 * outbox is read, marked and purged on the platform path alone.
 */
const WRITE_ONLY: ReadonlySet<string> = new Set(['job_outbox']);
/** The tenant tables the request role reads (row-level security filters what it sees). */
const READABLE_TABLES: Record<string, string> = Object.fromEntries(
  Object.entries(TENANT_TABLES).filter(([table]) => !WRITE_ONLY.has(table)),
);

/** Database-level isolation: the API's login role against the tables directly, no application code. */
describe('row-level security (as the API role)', () => {
  let t: TestApp;
  let a: TenantWithAdmin;
  let b: TenantWithAdmin;
  let app: pg.Client;

  let plans: { pro: string; starter: string };

  beforeAll(async () => {
    // The worker writes limit warnings (notifications).
    t = await startTestApp({}, { worker: true });
    const admin = await createPlatformAdmin(t);
    const policyIds = [
      (await createPolicy(t.api, admin.token, 'api_calls', 1000)).id,
      (await createPolicy(t.api, admin.token, 'storage_mb', 1000)).id,
    ];
    plans = {
      pro: (await createPlan(t.api, admin.token, { name: 'Pro', priceAmount: 3000, policyIds })).id,
      starter: (await createPlan(t.api, admin.token, { name: 'Starter', priceAmount: 1000, policyIds })).id,
    };
  });

  /** Billing rows in every billing table: a card, a paid subscription, invoices, payments, and credit from a downgrade. */
  async function withBilling(tenant: TenantWithAdmin): Promise<void> {
    await addCard(t.api, tenant);
    await subscribe(t.api, tenant, plans.pro);
    const change = await t.api.post(
      '/v1/subscription/change',
      { planId: plans.starter, timing: 'now' },
      { token: tenant.token, tenant: tenant.tenantId },
    );
    if (change.status !== 200) throw new Error(`downgrade failed: ${change.status} ${JSON.stringify(change.body)}`);
  }

  /** Metering rows in every metering table: an API key, a counter with its events, a gauge, and a limit warning. */
  async function withMetering(tenant: TenantWithAdmin): Promise<void> {
    const key = await createApiKey(t.api, tenant);
    for (const body of [
      { metric: 'api_calls', quantity: 900 },
      { metric: 'storage_mb', operation: 'set', value: 5 },
    ]) {
      const res = await t.api.post('/v1/usage', body, { token: key.secret });
      if (res.status !== 201) throw new Error(`usage failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await eventually(async () => (await countAsOwner('notifications', 'tenant_id = $1', [tenant.tenantId])) > 0);
  }
  afterAll(() => t.close());

  beforeEach(async () => {
    // Each test gets fresh tenants, with members and audit entries, written through the API.
    a = await createTenantWithAdmin(t.api, 'Tenant A');
    await addMember(t.api, a, 'tenant_user');
    b = await createTenantWithAdmin(t.api, 'Tenant B');
    await addMember(t.api, b, 'tenant_admin');
    await withBilling(a);
    await withBilling(b);
    await withMetering(a);
    await withMetering(b);
    app = new pg.Client({ connectionString: t.appUrl });
    await app.connect();
  });
  afterEach(async () => {
    await app.end();
  });

  /** Runs `work` in a transaction on the API role's connection, rolled back afterwards. */
  async function inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await app.query('begin');
    try {
      return await work();
    } finally {
      await app.query('rollback');
    }
  }
  const setTenant = (tenantId: string) => app.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
  const countAs = async (table: string, where = 'true', params: unknown[] = []) =>
    (await app.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`, params)).rows[0].n;
  const countAsOwner = async (table: string, where = 'true', params: unknown[] = []) =>
    (await ownerQuery<{ n: number }>(t, `select count(*)::int as n from ${table} where ${where}`, params))[0].n;
  const expectDenied = async (sql: string, params: unknown[], code: string) => {
    await app.query('savepoint attempt');
    await expect(app.query(sql, params)).rejects.toMatchObject({ code });
    await app.query('rollback to savepoint attempt');
  };

  const expectDeniedOn = async (client: pg.Client, sql: string, params: unknown[], code: string) => {
    await client.query('savepoint attempt');
    await expect(client.query(sql, params)).rejects.toMatchObject({ code });
    await client.query('rollback to savepoint attempt');
  };
  /** The platform path's own login role, on this file's database. */
  const platformUrl = () => {
    const url = new URL(t.appUrl);
    url.username = 'eshtarek_platform';
    return url.toString();
  };
  /** Runs `work` in a transaction as eshtarek_platform, rolled back afterwards. */
  async function asPlatform<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: platformUrl() });
    await client.connect();
    try {
      await client.query('begin');
      return await work(client);
    } finally {
      await client.query('rollback').catch(() => undefined);
      await client.end();
    }
  }

  /** A POST answered under an Idempotency-Key, so that idempotency_keys holds a record. */
  const withIdempotencyRecord = async () => {
    const res = await t.api.post('/v1/tenants', { name: 'Keyed' }, { token: a.token, idempotencyKey: randomUUID() });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  };

  /** Every table in `public` having a `tenant_id` column, as the catalog says. */
  const tablesWithTenantColumn = async () =>
    (
      await ownerQuery<{ table: string }>(
        t,
        `select c.relname as table
           from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attname = 'tenant_id' and not a.attisdropped
          order by 1`,
      )
    ).map((r) => r.table);

  it('connects as the intended role', async () => {
    const [row] = (await app.query('select current_user as user, session_user as session')).rows;
    expect(row).toEqual({ user: APP_USER, session: APP_USER });
  });

  it('every table with a tenant_id column has ENABLE and FORCE row level security and is in the list', async () => {
    const tables = await tablesWithTenantColumn();
    expect(tables.length).toBeGreaterThan(0);
    const rows = await ownerQuery<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      t,
      `select relname, relrowsecurity, relforcerowsecurity from pg_class
        where relnamespace = 'public'::regnamespace and relname = any($1) order by relname`,
      [[...new Set([...tables, ...Object.keys(TENANT_TABLES)])]],
    );
    for (const row of rows) expect(row).toEqual({ relname: row.relname, relrowsecurity: true, relforcerowsecurity: true });
    expect(rows.map((r) => r.relname).sort()).toEqual([...new Set([...tables, ...Object.keys(TENANT_TABLES)])].sort());
    // A new tenant-owned table must join TENANT_TABLES, so the row checks below cover it.
    expect(tables.filter((name) => !(name in TENANT_TABLES))).toEqual([]);
  });

  it('shows nothing from any tenant table without app.tenant_id, although rows exist', async () => {
    for (const table of Object.keys(READABLE_TABLES)) {
      expect({ table, owner: (await countAsOwner(table)) > 0 }).toEqual({ table, owner: true });
      expect({ table, api: await countAs(table) }).toEqual({ table, api: 0 });
      // Same inside a transaction, and with the setting explicitly empty (a pooled connection keeps '').
      await inTransaction(async () => {
        await setTenant('');
        expect({ table, emptySetting: await countAs(table) }).toEqual({ table, emptySetting: 0 });
      });
    }
  });

  it("shows only tenant A's rows while app.tenant_id is A, and forgets it at commit", async () => {
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      for (const [table, column] of Object.entries(READABLE_TABLES)) {
        const expected = await countAsOwner(table, `${column} = $1`, [a.tenantId]);
        expect(expected).toBeGreaterThan(0);
        const rows = (await app.query(`select ${column}::text as tenant from ${table}`)).rows;
        expect({ table, tenants: [...new Set(rows.map((r) => r.tenant))], count: rows.length }).toEqual({
          table,
          tenants: [a.tenantId],
          count: expected,
        });
        // Asking for B explicitly finds nothing either.
        expect({ table, b: await countAs(table, `${column} = $1`, [b.tenantId]) }).toEqual({ table, b: 0 });
      }
    });
    // The setting was transaction-local: the same connection sees nothing afterwards.
    await app.query('begin');
    await setTenant(a.tenantId);
    await app.query('commit');
    for (const table of Object.keys(READABLE_TABLES)) expect({ table, after: await countAs(table) }).toEqual({ table, after: 0 });
  });

  it("with only app.user_id set, shows the user's own tenants and memberships (for /me), nothing more", async () => {
    const [{ id: memberId }] = await ownerQuery(
      t,
      `select user_id as id from memberships where tenant_id = $1 and role = 'tenant_user'`,
      [a.tenantId],
    );
    await inTransaction(async () => {
      await app.query(`select set_config('app.user_id', $1, true)`, [memberId]);
      expect((await app.query('select id from tenants')).rows).toEqual([{ id: a.tenantId }]);
      expect((await app.query('select tenant_id, user_id from memberships')).rows).toEqual([
        { tenant_id: a.tenantId, user_id: memberId },
      ]);
      expect(await countAs('audit_logs')).toBe(0);
      // Seeing its membership row does not make it writable without the tenant set.
      expect((await app.query(`update memberships set role = 'tenant_admin' where user_id = $1`, [memberId])).rowCount).toBe(0);
    });
  });

  it("refuses to write B's rows while set to A (WITH CHECK) and cannot touch B's existing rows", async () => {
    const [{ id: userId }] = await ownerQuery(t, `select id from users where id <> all($1) limit 1`, [[a.userId, b.userId]]);
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      await expectDenied(
        `insert into memberships (id, tenant_id, user_id, role, created_at) values ($1, $2, $3, 'tenant_admin', now())`,
        [randomUUID(), b.tenantId, userId],
        '42501',
      );
      await expectDenied(
        `insert into audit_logs (id, tenant_id, action, target_type, created_at) values ($1, $2, 'forged', 'tenant', now())`,
        [randomUUID(), b.tenantId],
        '42501',
      );
      // Moving A's row to B is refused by the check too.
      await expectDenied(`update memberships set tenant_id = $1 where tenant_id = $2`, [b.tenantId, a.tenantId], '42501');
      // B's rows are invisible, so UPDATE and DELETE match nothing.
      expect((await app.query(`update memberships set role = 'tenant_user' where tenant_id = $1`, [b.tenantId])).rowCount).toBe(
        0,
      );
      expect((await app.query(`delete from memberships where tenant_id = $1`, [b.tenantId])).rowCount).toBe(0);
      expect((await app.query(`update tenants set name = 'Hacked' where id = $1`, [b.tenantId])).rowCount).toBe(0);
      // A's own rows are writable (the policy is not simply "deny everything").
      expect((await app.query(`update tenants set name = 'Renamed A' where id = $1`, [a.tenantId])).rowCount).toBe(1);
    });
    expect(await countAsOwner('memberships', 'tenant_id = $1', [b.tenantId])).toBe(2);
    expect(await ownerQuery(t, 'select name from tenants where id = any($1) order by name', [[a.tenantId, b.tenantId]])).toEqual([
      { name: 'Tenant A' },
      { name: 'Tenant B' },
    ]);
  });

  it('is not superuser nor BYPASSRLS, and owns no table (directly or through a role)', async () => {
    const roles = await ownerQuery(
      t,
      `select rolname, rolsuper, rolbypassrls from pg_roles
        where rolname = $1 or pg_has_role($1, oid, 'MEMBER') order by rolname`,
      [APP_USER],
    );
    // A member of eshtarek_api and of nothing else: in particular not of the platform role.
    expect(roles.map((r) => r.rolname).sort()).toEqual([APP_USER, 'eshtarek_api'].sort());
    for (const role of roles) expect(role).toEqual({ rolname: role.rolname, rolsuper: false, rolbypassrls: false });
    const owned = await ownerQuery(
      t,
      `select tablename, tableowner from pg_tables where schemaname = 'public' and pg_has_role($1, tableowner, 'MEMBER')`,
      [APP_USER],
    );
    expect(owned).toEqual([]);
    const tables = await ownerQuery(t, `select tablename from pg_tables where schemaname = 'public'`);
    expect(tables.length).toBeGreaterThanOrEqual(Object.keys(TENANT_TABLES).length);
  });

  it('cannot UPDATE, DELETE or TRUNCATE the audit log, on any path', async () => {
    const before = await countAsOwner('audit_logs', 'tenant_id = $1', [a.tenantId]);
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      await expectDenied(`update audit_logs set action = 'rewritten' where tenant_id = $1`, [a.tenantId], '42501');
      await expectDenied(`delete from audit_logs where tenant_id = $1`, [a.tenantId], '42501');
      await expectDenied('truncate audit_logs', [], '42501');
    });
    await asPlatform(async (platform) => {
      await expectDeniedOn(platform, `update audit_logs set action = 'rewritten'`, [], '42501');
      await expectDeniedOn(platform, 'delete from audit_logs', [], '42501');
    });
    expect(await countAsOwner('audit_logs', 'tenant_id = $1', [a.tenantId])).toBe(before);
    expect(await countAsOwner('audit_logs', `action = 'rewritten'`)).toBe(0);
  });

  it('only adds work to the job outbox, for its own tenant: it reads, marks and deletes none of it', async () => {
    for (const tenantId of [a.tenantId, b.tenantId]) {
      expect({ tenantId, rows: (await countAsOwner('job_outbox', 'tenant_id = $1', [tenantId])) > 0 }).toEqual({
        tenantId,
        rows: true,
      });
    }
    const insert = (tenantId: string | null, jobId: string) =>
      app.query(
        `insert into job_outbox (id, tenant_id, queue, job_name, job_id, payload) values ($1, $2, 'proration', 'collect', $3, '{}')`,
        [randomUUID(), tenantId, jobId],
      );
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      expect((await insert(a.tenantId, `own-${randomUUID()}`)).rowCount).toBe(1);
      await app.query('savepoint attempt');
      await expect(insert(b.tenantId, `other-${randomUUID()}`)).rejects.toMatchObject({ code: '42501' });
      await app.query('rollback to savepoint attempt');
      await expectDenied(
        `insert into job_outbox (id, tenant_id, queue, job_name, job_id, payload) values ($1, null, 'renewals', 'scan', 'x', '{}')`,
        [randomUUID()],
        '42501',
      );
      await expectDenied(
        `insert into job_outbox (id, tenant_id, queue, job_name, job_id, payload, done_at) values ($1, $2, 'proration', 'collect', 'y', '{}', now())`,
        [randomUUID(), a.tenantId],
        '42501',
      );
      await expectDenied('select count(*) from job_outbox', [], '42501');
      await expectDenied('update job_outbox set done_at = now()', [], '42501');
      await expectDenied('delete from job_outbox', [], '42501');
    });
    // The platform path reads every tenant's work and marks it done.
    await asPlatform(async (platform) => {
      const { rows } = await platform.query<{ n: number }>(
        'select count(*)::int as n from job_outbox where tenant_id = any($1)',
        [[a.tenantId, b.tenantId]],
      );
      expect(rows[0].n).toBe(await countAsOwner('job_outbox', 'tenant_id = any($1)', [[a.tenantId, b.tenantId]]));
      expect(
        (await platform.query('update job_outbox set done_at = now() where tenant_id = $1', [a.tenantId])).rowCount,
      ).toBeGreaterThan(0);
    });
  });

  it('cannot UPDATE or DELETE usage events or notifications (append-only), in the tenant or on the platform path', async () => {
    const events = await countAsOwner('usage_events', 'tenant_id = $1', [a.tenantId]);
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      expect(await countAs('usage_events')).toBe(events);
      for (const table of ['usage_events', 'notifications']) {
        await expectDenied(`update ${table} set tenant_id = tenant_id where tenant_id = $1`, [a.tenantId], '42501');
        await expectDenied(`delete from ${table} where tenant_id = $1`, [a.tenantId], '42501');
      }
    });
    await asPlatform((platform) => expectDeniedOn(platform, 'delete from usage_events', [], '42501'));
    expect(await countAsOwner('usage_events', 'tenant_id = $1', [a.tenantId])).toBe(events);
  });

  it('finds an API key before its tenant is known only by its exact prefix and hash (the narrow definer function)', async () => {
    const [key] = await ownerQuery(t, 'select id, tenant_id, prefix, secret_hash from api_keys where tenant_id = $1', [
      a.tenantId,
    ]);
    const lookup = (prefix: string, hash: Buffer) =>
      app.query('select key_id, key_tenant from api_key_authenticate($1, $2)', [prefix, hash]);
    expect((await lookup(key.prefix, key.secret_hash)).rows).toEqual([{ key_id: key.id, key_tenant: a.tenantId }]);
    expect((await lookup(key.prefix, Buffer.alloc(32))).rows).toEqual([]);
    expect((await lookup('x', key.secret_hash)).rows).toEqual([]);
    // The table itself stays closed without a tenant.
    expect(await countAs('api_keys')).toBe(0);
  });

  it('cannot switch to the platform (or any other) role; the platform path is its own login role that sees every tenant', async () => {
    const policies = await ownerQuery(
      t,
      `select tablename, policyname from pg_policies where schemaname = 'public' and 'eshtarek_platform' = any(roles) order by 1, 2`,
    );
    expect(policies.map((p) => p.tablename)).toEqual(
      expect.arrayContaining(Object.keys(TENANT_TABLES).filter((n) => n !== 'api_keys')),
    );

    // The request role: SET ROLE to the platform (or to the owner of the credential functions) is refused.
    await inTransaction(async () => {
      for (const role of ['eshtarek_platform', 'eshtarek_credentials', 'postgres']) {
        await expectDenied(`set local role ${role}`, [], '42501');
      }
      await expectDenied(`set session authorization eshtarek_platform`, [], '42501');
      for (const table of Object.keys(READABLE_TABLES)) expect({ table, n: await countAs(table) }).toEqual({ table, n: 0 });
    });

    // The platform path: its own connection; every tenant is visible, credentials are not.
    await asPlatform(async (platform) => {
      expect((await platform.query('select current_user as role')).rows[0].role).toBe('eshtarek_platform');
      for (const [table, column] of Object.entries(TENANT_TABLES)) {
        if (table === 'api_keys') continue; // never needed on the platform path: no privilege at all
        const all = (
          await platform.query<{ n: number }>(`select count(*)::int as n from ${table} where ${column} = any($1)`, [
            [a.tenantId, b.tenantId],
          ])
        ).rows[0].n;
        expect({ table, all }).toEqual({
          table,
          all: await countAsOwner(table, `${column} = any($1)`, [[a.tenantId, b.tenantId]]),
        });
      }
      await expectDeniedOn(platform, 'select count(*) from api_keys', [], '42501');
      for (const sql of [
        'select password_hash from users',
        'select * from sessions',
        'select * from refresh_tokens',
        'select * from idempotency_keys',
        'update users set is_platform_admin = true',
        `select * from auth_password_hash('x@y.test', null)`,
        'set local role eshtarek_credentials',
      ]) {
        await expectDeniedOn(platform, sql, [], '42501');
      }
    });
  });

  it('cannot write is_platform_admin, nor read any password hash, nor delete accounts', async () => {
    await inTransaction(async () => {
      await app.query(`select set_config('app.user_id', $1, true)`, [a.userId]);
      await expectDenied('update users set is_platform_admin = true where id = $1', [a.userId], '42501');
      await expectDenied(
        `insert into users (id, email, name, password_hash, is_platform_admin, created_at, updated_at)
         values ($1, 'mallory@x.test', 'M', 'x', true, now(), now())`,
        [randomUUID()],
        '42501',
      );
      await expectDenied(`update users set password_hash = 'x' where id = $1`, [a.userId], '42501');
      await expectDenied(`update users set email = 'taken@x.test' where id = $1`, [a.userId], '42501');
      await expectDenied('select password_hash from users', [], '42501');
      await expectDenied('select * from users', [], '42501');
      await expectDenied('delete from users where id = $1', [a.userId], '42501');
      // What the API needs is there: names and emails, and a registration that cannot choose its role.
      expect((await app.query('select id, email, is_platform_admin from users where id = $1', [a.userId])).rows).toEqual([
        { id: a.userId, email: expect.any(String), is_platform_admin: false },
      ]);
    });
    expect(await countAsOwner('users', 'is_platform_admin')).toBe(1);
  });

  it('reads no session, refresh token or idempotency record directly, with or without a tenant', async () => {
    await withIdempotencyRecord();
    for (const table of ['sessions', 'refresh_tokens', 'idempotency_keys']) {
      expect({ table, owner: (await countAsOwner(table)) > 0 }).toEqual({ table, owner: true });
    }
    await inTransaction(async () => {
      for (const tenant of ['', a.tenantId]) {
        await setTenant(tenant);
        await app.query(`select set_config('app.user_id', $1, true)`, [tenant ? a.userId : '']);
        for (const sql of [
          'select * from sessions',
          'select id from sessions',
          'select token_hash from refresh_tokens',
          'select * from idempotency_keys',
          `update sessions set revoked_at = null`,
          'delete from sessions',
          `insert into refresh_tokens (id, session_id, token_hash, created_at) values (gen_random_uuid(), gen_random_uuid(), 'x', now())`,
          'delete from idempotency_keys',
          `update idempotency_keys set response_body = '{}'`,
          // Housekeeping is the platform path's, not the request's.
          'select idempotency_purge(now())',
          'select sessions_purge(now(), now())',
        ]) {
          await expectDenied(sql, [], '42501');
        }
      }
    });
  });

  it('reaches credentials only one at a time through the narrow functions, which name nothing else', async () => {
    await withIdempotencyRecord();
    const [session] = await ownerQuery(t, 'select id, user_id from sessions where user_id = $1 limit 1', [a.userId]);
    const [idem] = await ownerQuery(t, 'select caller, key, request_hash from idempotency_keys limit 1');
    await inTransaction(async () => {
      // A session is checked by its id and its user together; a session of A with B's id is nothing.
      expect((await app.query('select * from auth_session_caller($1, $2, now())', [session.id, a.userId])).rows).toEqual([
        { is_platform_admin: false, session_active: true },
      ]);
      expect((await app.query('select * from auth_session_caller($1, $2, now())', [session.id, b.userId])).rows).toEqual([]);
      // Ending or changing the password of someone else's session does nothing.
      expect((await app.query('select auth_end_session($1, $2, now(), $3) as ended', [session.id, b.userId, 'x'])).rows).toEqual([
        { ended: null },
      ]);
      // Even sealed by the application, a password changes only from a live session of that user.
      const sealed = createHmac('sha256', credentialSealKey(t.config.JWT_SECRET))
        .update(sealMessages.changePassword(b.userId, session.id))
        .digest();
      expect(
        (await app.query('select auth_change_password($1, $2, $3, now(), $4) as changed', [b.userId, session.id, 'x', sealed]))
          .rows,
      ).toEqual([{ changed: false }]);
      // A refresh token only by its exact hash.
      expect(
        (await app.query(`select outcome, session_id from auth_refresh('nope', gen_random_uuid(), 'x', now())`)).rows,
      ).toEqual([{ outcome: 'invalid', session_id: null }]);
      // An idempotency record only by its caller and key; a wrong caller claims a fresh key of its own.
      const mallory = createHmac('sha256', credentialSealKey(t.config.JWT_SECRET))
        .update(sealMessages.idempotency('user:mallory:-'))
        .digest();
      const other = await app.query('select claimed from idempotency_claim($1, $2, $3, now(), now() + $4::interval, $5)', [
        'user:mallory:-',
        idem.key,
        'h',
        '1 day',
        mallory,
      ]);
      expect(other.rows).toEqual([{ claimed: true }]);
    });
    expect(await countAsOwner('sessions', 'id = $1 and revoked_at is null', [session.id])).toBe(1);
  });

  it('issues no credential and hands out no secret without the seal of the application (SQL alone cannot)', async () => {
    await withIdempotencyRecord();
    const [admin] = await ownerQuery<{ id: string; email: string }>(t, 'select id, email from users where id = $1', [a.userId]);
    const [session] = await ownerQuery<{ id: string }>(t, 'select id from sessions where user_id = $1 limit 1', [a.userId]);
    const [idem] = await ownerQuery<{ caller: string; key: string }>(t, 'select caller, key from idempotency_keys limit 1');
    // A seal made with any other key (a guessed or published secret) is refused like none at all.
    const forged = (message: string) => createHmac('sha256', credentialSealKey('not-the-secret')).update(message).digest();
    const attempts: [string, unknown[]][] = [
      ['select * from auth_password_hash($1, $2)', [admin.email, null]],
      ['select * from auth_password_hash($1, $2)', [admin.email, forged(sealMessages.passwordHash(admin.email))]],
      ['select (auth_password_hash(email, null)).password_hash from users', []],
      [
        `select auth_start_session(gen_random_uuid(), $1, now(), now() + interval '30 days', gen_random_uuid(), 'h', $2)`,
        [a.userId, Buffer.alloc(32)],
      ],
      ['select auth_change_password($1, $2, $3, now(), $4)', [a.userId, session.id, 'x', null]],
      ['select * from idempotency_claim($1, $2, $3, now(), now(), $4)', [idem.caller, idem.key, 'h', null]],
      ['select idempotency_complete($1, $2, 201, $3, $4)', [idem.caller, idem.key, '{"forged":true}', null]],
    ];
    await inTransaction(async () => {
      for (const tenant of ['', a.tenantId]) {
        await setTenant(tenant);
        await app.query(`select set_config('app.user_id', $1, true)`, [tenant ? a.userId : '']);
        for (const [sql, params] of attempts) await expectDenied(sql, params, '42501');
      }
    });
    expect(await countAsOwner('sessions', 'user_id = $1', [a.userId])).toBe(1);
    expect(await countAsOwner('idempotency_keys', `response_body ? 'forged'`)).toBe(0);
  });

  it('takes the audit actor from the session, whatever the insert says, and refuses platform.* entries', async () => {
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      await app.query(`select set_config('app.user_id', $1, true)`, [a.userId]);
      const forged = await app.query(
        `insert into audit_logs (id, tenant_id, actor_user_id, action, target_type, created_at)
         values ($1, $2, $3, 'forged', 'tenant', now()) returning actor_user_id`,
        [randomUUID(), a.tenantId, b.userId],
      );
      expect(forged.rows).toEqual([{ actor_user_id: a.userId }]);
      await app.query(`select set_config('app.user_id', '', true)`);
      const anonymous = await app.query(
        `insert into audit_logs (id, tenant_id, actor_user_id, action, target_type, created_at)
         values ($1, $2, $3, 'forged', 'tenant', now()) returning actor_user_id`,
        [randomUUID(), a.tenantId, b.userId],
      );
      expect(anonymous.rows).toEqual([{ actor_user_id: null }]);
      for (const tenant of [a.tenantId, null]) {
        await expectDenied(
          `insert into audit_logs (id, tenant_id, action, target_type, created_at) values ($1, $2, 'platform.tenants.read', 'tenant', now())`,
          [randomUUID(), tenant],
          '42501',
        );
      }
    });
  });

  it('cannot reactivate its own tenant, rewrite a published plan version, or delete what requests never delete', async () => {
    await inTransaction(async () => {
      await setTenant(a.tenantId);
      await expectDenied(`update tenants set status = 'active' where id = $1`, [a.tenantId], '42501');
      await expectDenied('update plan_versions set price_amount = 0', [], '42501');
      // The catalog is platform-wide: only the platform path writes it.
      await expectDenied('update policies set "limit" = null', [], '42501');
      await expectDenied(`update plans set name = 'pwned'`, [], '42501');
      await expectDenied(
        `insert into policies (id, name, metric, kind, "limit", enforcement, warning_thresholds, created_at, updated_at)
         values (gen_random_uuid(), 'x', 'x', 'counter', null, 'hard', '[]', now(), now())`,
        [],
        '42501',
      );
      await expectDenied(`update api_keys set secret_hash = '\\x00', tenant_id = tenant_id`, [], '42501');
      // Its own keys are listed, their hashes are not readable.
      expect(await countAs('api_keys')).toBeGreaterThan(0);
      await expectDenied('select secret_hash from api_keys', [], '42501');
      for (const table of Object.keys(TENANT_TABLES).filter((name) => name !== 'memberships')) {
        await expectDenied(`delete from ${table}`, [], '42501');
      }
      for (const table of ['users', 'policies', 'plans', 'plan_versions'])
        await expectDenied(`delete from ${table}`, [], '42501');
      // Creating objects (a function shadowing one of ours, a table) is refused too.
      await expectDenied('create table evil (id int)', [], '42501');
      await expectDenied(`create function pg_temp_evil() returns int language sql as 'select 1'`, [], '42501');
    });
  });

  it('works through the platform path: admin reads across tenants (audited with the admin as actor) and the renewals', async () => {
    const admin = await createPlatformAdmin(t);
    const token = admin.token;
    const list = await t.api.get('/v1/admin/tenants?limit=100', { token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([a.tenantId, b.tenantId]));
    const suspend = await t.api.post(`/v1/admin/tenants/${a.tenantId}/suspend`, {}, { token });
    expect(suspend.status).toBe(200);
    expect(await ownerQuery(t, `select status from tenants where id = $1`, [a.tenantId])).toEqual([{ status: 'suspended' }]);
    expect(
      await ownerQuery(
        t,
        `select action, actor_user_id from audit_logs where action like 'platform.tenant%' and actor_user_id = $1 order by created_at`,
        [admin.userId],
      ),
    ).toEqual([
      { action: 'platform.tenants.read', actor_user_id: admin.userId },
      { action: 'platform.tenant.suspend', actor_user_id: admin.userId },
    ]);

    // Renewals: the worker's batch runs on the platform pool across tenants.
    // B's paid period (and its anchor) moved a month back: it is due now, and its next period is new.
    await ownerQuery(
      t,
      `update subscriptions set billing_anchor = billing_anchor - interval '1 month 1 minute',
              current_period_start = current_period_start - interval '1 month 1 minute',
              current_period_end = current_period_end - interval '1 month 1 minute'
        where tenant_id = $1 and status = 'active'`,
      [b.tenantId],
    );
    expect(await t.worker!.get(RenewalService).renewAllDue()).toBeGreaterThan(0);
    expect(
      await countAsOwner('audit_logs', `tenant_id = $1 and action = 'subscription.renewed' and actor_user_id is null`, [
        b.tenantId,
      ]),
    ).toBe(1);
  });

  it('purges expired credentials on the platform path (the request role cannot)', async () => {
    await withIdempotencyRecord();
    await ownerQuery(t, `update idempotency_keys set expires_at = now() - interval '1 second'`);
    await ownerQuery(t, `update sessions set revoked_at = now() - interval '8 days' where user_id = $1`, [b.userId]);
    const live = await countAsOwner('sessions', 'user_id <> $1', [b.userId]);
    expect(await t.worker!.get(MaintenanceProcessor).process()).toEqual({
      idempotencyKeys: expect.any(Number),
      outboxRows: expect.any(Number),
    });
    expect(await t.worker!.get(SessionPurgeProcessor).process()).toEqual({ sessions: expect.any(Number) });
    expect(await countAsOwner('idempotency_keys')).toBe(0);
    expect(await countAsOwner('sessions', 'user_id = $1', [b.userId])).toBe(0);
    expect(await countAsOwner('sessions')).toBe(live);
  });

  it('setup refuses a DATABASE_URL naming a superuser or the owner, and changes nothing', async () => {
    const database = new URL(t.ownerUrl).pathname.slice(1);
    const su = `setup_su_${process.pid}`;
    await ownerQuery(t, `create role ${su} login superuser`);
    try {
      for (const user of [su, new URL(t.ownerUrl).username]) {
        await expect(ensureDatabase(t.ownerUrl, databaseUrl(OWNER_URL, database, user))).rejects.toBeInstanceOf(
          DatabaseSetupRefused,
        );
      }
      expect(await ownerQuery(t, 'select rolsuper from pg_roles where rolname = $1', [su])).toEqual([{ rolsuper: true }]);
    } finally {
      await ownerQuery(t, `drop role ${su}`);
    }
  });

  it('setup converges an existing cluster: a request role left a member of eshtarek_platform loses it', async () => {
    const oldApp = `${APP_USER}_old_${process.pid}`;
    await ownerQuery(t, `create role ${oldApp} login`);
    try {
      await ownerQuery(t, `grant eshtarek_platform to ${oldApp}`);
      await ownerQuery(t, `grant eshtarek_api to ${oldApp}`);
      await ensureDatabase(t.ownerUrl, databaseUrl(OWNER_URL, new URL(t.ownerUrl).pathname.slice(1), oldApp));
      const memberships = await ownerQuery(
        t,
        `select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member
          where u.rolname = $1`,
        [oldApp],
      );
      expect(memberships).toEqual([{ rolname: 'eshtarek_api' }]);
      expect(await ownerQuery(t, `select rolcanlogin from pg_roles where rolname = 'eshtarek_platform'`)).toEqual([
        { rolcanlogin: true },
      ]);
    } finally {
      await ownerQuery(t, `drop owned by ${oldApp}`);
      await ownerQuery(t, `drop role ${oldApp}`);
    }
  });
});
