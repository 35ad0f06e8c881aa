import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { APP_USER } from '../support/env.js';
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
  tenant_counters: 'tenant_id',
  api_keys: 'tenant_id',
  usage_counters: 'tenant_id',
  usage_gauges: 'tenant_id',
  usage_events: 'tenant_id',
  notifications: 'tenant_id',
};

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
    for (const table of Object.keys(TENANT_TABLES)) {
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
      for (const [table, column] of Object.entries(TENANT_TABLES)) {
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
    for (const table of Object.keys(TENANT_TABLES)) expect({ table, after: await countAs(table) }).toEqual({ table, after: 0 });
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
    expect(roles.map((r) => r.rolname)).toEqual(expect.arrayContaining([APP_USER, 'eshtarek_api', 'eshtarek_platform']));
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
      await app.query('set local role eshtarek_platform');
      await expectDenied(`update audit_logs set action = 'rewritten'`, [], '42501');
      await expectDenied('delete from audit_logs', [], '42501');
    });
    expect(await countAsOwner('audit_logs', 'tenant_id = $1', [a.tenantId])).toBe(before);
    expect(await countAsOwner('audit_logs', `action = 'rewritten'`)).toBe(0);
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
      await app.query('set local role eshtarek_platform');
      await expectDenied('delete from usage_events', [], '42501');
    });
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

  it('gives nothing through the platform policies unless the role is switched explicitly', async () => {
    const policies = await ownerQuery(
      t,
      `select tablename, policyname from pg_policies where schemaname = 'public' and 'eshtarek_platform' = any(roles) order by 1, 2`,
    );
    expect(policies.map((p) => p.tablename)).toEqual(expect.arrayContaining(Object.keys(TENANT_TABLES)));

    // The login role is a member of eshtarek_platform, but without SET ROLE those policies match nothing.
    await inTransaction(async () => {
      for (const table of Object.keys(TENANT_TABLES)) expect({ table, n: await countAs(table) }).toEqual({ table, n: 0 });
      await setTenant(a.tenantId);
      expect(await countAs('tenants', 'id = $1', [b.tenantId])).toBe(0);
      expect(await countAs('memberships', 'tenant_id = $1', [b.tenantId])).toBe(0);
    });

    // The explicit path: after SET LOCAL ROLE every tenant is visible, and only for that transaction.
    await inTransaction(async () => {
      await app.query('set local role eshtarek_platform');
      expect((await app.query('select current_user as role')).rows[0].role).toBe('eshtarek_platform');
      for (const [table, column] of Object.entries(TENANT_TABLES)) {
        const visible = await countAs(table, `${column} = any($1)`, [[a.tenantId, b.tenantId]]);
        expect({ table, visible }).toEqual({
          table,
          visible: await countAsOwner(table, `${column} = any($1)`, [[a.tenantId, b.tenantId]]),
        });
        expect({ table, all: await countAs(table) }).toEqual({ table, all: await countAsOwner(table) });
      }
    });
    expect((await app.query('select current_user as role')).rows[0].role).toBe(APP_USER);
    expect(await countAs('tenants')).toBe(0);
  });
});
