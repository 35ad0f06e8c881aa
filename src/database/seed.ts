import pg from 'pg';
import { newId } from './ids.js';
import { randomBytes } from 'node:crypto';
import { type AppConfig, PUBLISHED_SECRETS } from '../config/config.js';
import { slugify } from '../modules/tenancy/slug.rules.js';
import { PasswordHasher } from '../modules/auth/password-hasher.js';

export const DEMO_PASSWORD = 'demo-password-123';

export const DEMO_TENANTS = [
  {
    name: 'Acme Corp',
    users: [
      { email: 'alice@acme.test', name: 'Alice Admin', role: 'tenant_admin' },
      { email: 'bob@acme.test', name: 'Bob User', role: 'tenant_user' },
    ],
  },
  {
    name: 'Globex',
    users: [
      { email: 'carol@globex.test', name: 'Carol Admin', role: 'tenant_admin' },
      { email: 'dave@globex.test', name: 'Dave User', role: 'tenant_user' },
    ],
  },
] as const;

/** The demo catalog: limit policies and plans (price in USD cents per month). */
const DEMO_POLICIES = [
  { key: 'seats5', metric: 'max_users', kind: 'gauge', limit: 5 },
  { key: 'seats25', metric: 'max_users', kind: 'gauge', limit: 25 },
  { key: 'calls10k', metric: 'api_calls', kind: 'counter', limit: 10_000 },
  { key: 'calls100k', metric: 'api_calls', kind: 'counter', limit: 100_000 },
] as const;

export const DEMO_PLANS = [
  { code: 'starter', name: 'Starter', price: 1000, trialDays: 14, policies: ['seats5', 'calls10k'] },
  { code: 'pro', name: 'Pro', price: 3000, trialDays: 0, policies: ['seats25', 'calls100k'] },
] as const;

async function seedCatalog(client: pg.Client): Promise<void> {
  const ids = new Map<string, { id: string; metric: string; kind: string; limit: number }>();
  for (const p of DEMO_POLICIES) {
    const id = newId();
    ids.set(p.key, { id, metric: p.metric, kind: p.kind, limit: p.limit });
    await client.query(
      `insert into policies (id, name, metric, kind, "limit", enforcement, warning_thresholds, created_at, updated_at)
       values ($1, $2, $3, $4, $5, 'hard', '[80, 100]', now(), now())`,
      [id, `${p.metric} ≤ ${p.limit}`, p.metric, p.kind, p.limit],
    );
  }
  for (const plan of DEMO_PLANS) {
    const planId = newId();
    const limits = plan.policies.map((key) => {
      const p = ids.get(key)!;
      return {
        policyId: p.id,
        metric: p.metric,
        kind: p.kind,
        limit: p.limit,
        enforcement: 'hard',
        warningThresholds: [80, 100],
      };
    });
    await client.query(
      `insert into plans (id, code, name, description, status, current_version, created_at, updated_at)
       values ($1, $2, $3, '', 'active', 1, now(), now())`,
      [planId, plan.code, plan.name],
    );
    await client.query(
      `insert into plan_versions (id, plan_id, version, price_amount, currency, interval, interval_count, trial_days, duration_cycles, limits, created_at)
       values ($1, $2, 1, $3, 'USD', 'month', 1, $4, null, $5, now())`,
      [newId(), planId, plan.price, plan.trialDays, JSON.stringify(limits)],
    );
  }
}

/** The seed would hand the platform to an account it did not create; the message says what to do. */
export class SeedRefusedError extends Error {}

/**
 * Makes sure the account PLATFORM_ADMIN_EMAIL exists and is a platform admin. An existing account
 * that is not one is never promoted silently — anyone could have registered that address before
 * the first start — unless the operator opts in with PLATFORM_ADMIN_ADOPT_EXISTING=true; then its
 * password becomes PLATFORM_ADMIN_PASSWORD, its sessions are revoked, and the adoption is audited.
 */
async function ensurePlatformAdmin(client: pg.Client, config: AppConfig, hasher: PasswordHasher): Promise<void> {
  const email = config.PLATFORM_ADMIN_EMAIL.toLowerCase();
  const passwordHash = await hasher.hash(config.PLATFORM_ADMIN_PASSWORD);
  const created = await client.query(
    `insert into users (id, email, name, password_hash, is_platform_admin, created_at, updated_at)
     values ($1, $2, 'Platform Admin', $3, true, now(), now())
     on conflict (lower(email)) do nothing`,
    [newId(), email, passwordHash],
  );
  if (created.rowCount) return;
  const { rows } = await client.query<{ id: string; is_platform_admin: boolean }>(
    'select id, is_platform_admin from users where lower(email) = $1 for update',
    [email],
  );
  const user = rows[0];
  if (user.is_platform_admin) return;
  if (!config.PLATFORM_ADMIN_ADOPT_EXISTING) {
    throw new SeedRefusedError(
      `Refusing to start: an account with PLATFORM_ADMIN_EMAIL (${email}) already exists and is not a platform admin ` +
        '(someone may have registered it before this first start); set PLATFORM_ADMIN_EMAIL to another address, or set ' +
        'PLATFORM_ADMIN_ADOPT_EXISTING=true to make that account the platform admin with PLATFORM_ADMIN_PASSWORD as its ' +
        'password and every one of its sessions revoked.',
    );
  }
  await client.query('update users set is_platform_admin = true, password_hash = $2, updated_at = now() where id = $1', [
    user.id,
    passwordHash,
  ]);
  const revoked = await client.query(
    `update sessions set revoked_at = now(), revoked_reason = 'platform_admin_adopted' where user_id = $1 and revoked_at is null`,
    [user.id],
  );
  await client.query(
    `insert into audit_logs (id, tenant_id, actor_user_id, action, target_type, target_id, before, after, created_at)
     values ($1, null, null, 'platform.admin.adopted', 'user', $2, $3, $4, now())`,
    [
      newId(),
      user.id,
      JSON.stringify({ isPlatformAdmin: false }),
      JSON.stringify({ isPlatformAdmin: true, passwordReset: true, sessionsRevoked: revoked.rowCount ?? 0 }),
    ],
  );
}

/**
 * In production, no account keeps a password this repository publishes (the admin's and the demo
 * default, from a database first started in development): the platform admin's becomes
 * PLATFORM_ADMIN_PASSWORD (production refuses a published one), any other's an unguessable one;
 * their sessions are revoked and each retirement is audited.
 */
async function retirePublishedPasswords(client: pg.Client, config: AppConfig, hasher: PasswordHasher): Promise<void> {
  const published = PUBLISHED_SECRETS.PLATFORM_ADMIN_PASSWORD ?? [];
  const admin = config.PLATFORM_ADMIN_EMAIL.toLowerCase();
  const emails = [admin, ...DEMO_TENANTS.flatMap((t) => t.users.map((u) => u.email))];
  const { rows } = await client.query<{ id: string; email: string; password_hash: string }>(
    'select id, lower(email) as email, password_hash from users where lower(email) = any($1) for update',
    [emails],
  );
  for (const user of rows) {
    let known = false;
    for (const password of published) known ||= await hasher.verify(user.password_hash, password);
    if (!known) continue;
    const replacement = user.email === admin ? config.PLATFORM_ADMIN_PASSWORD : randomBytes(32).toString('base64url');
    await client.query('update users set password_hash = $2, updated_at = now() where id = $1', [
      user.id,
      await hasher.hash(replacement),
    ]);
    await client.query(
      `update sessions set revoked_at = now(), revoked_reason = 'published_password_retired' where user_id = $1 and revoked_at is null`,
      [user.id],
    );
    await client.query(
      `insert into audit_logs (id, tenant_id, actor_user_id, action, target_type, target_id, before, after, created_at)
       values ($1, null, null, 'platform.password.retired', 'user', $2, null, $3, now())`,
      [newId(), user.id, JSON.stringify({ reason: 'published default password in production' })],
    );
  }
}

/**
 * Makes sure the platform admin from the environment exists (see ensurePlatformAdmin), and fills an
 * empty database with two demo tenants and a demo catalog (policies, Starter and Pro plans). Runs
 * as the owner, once, at start-up.
 */
export async function seed(config: AppConfig): Promise<{ demo: boolean }> {
  const client = new pg.Client({ connectionString: config.DATABASE_OWNER_URL });
  await client.connect();
  const hasher = new PasswordHasher(config);
  try {
    await client.query('begin');
    await ensurePlatformAdmin(client, config, hasher);
    if (config.NODE_ENV === 'production') await retirePublishedPasswords(client, config, hasher);
    const { rows } = await client.query<{ n: string }>('select count(*) as n from tenants');
    const demo = config.SEED_DEMO && Number(rows[0].n) === 0;
    if (demo) {
      const { rows: plans } = await client.query<{ n: string }>('select count(*) as n from plans');
      if (Number(plans[0].n) === 0) await seedCatalog(client);
      const demoHash = await hasher.hash(DEMO_PASSWORD);
      for (const tenant of DEMO_TENANTS) {
        const tenantId = newId();
        await client.query(
          `insert into tenants (id, name, slug, status, created_at, updated_at) values ($1, $2, $3, 'active', now(), now())`,
          [tenantId, tenant.name, slugify(tenant.name)],
        );
        for (const user of tenant.users) {
          // An address someone already registered stays theirs: it is not put into a demo tenant.
          const { rows: created } = await client.query<{ id: string }>(
            `insert into users (id, email, name, password_hash, is_platform_admin, created_at, updated_at)
             values ($1, $2, $3, $4, false, now(), now())
             on conflict (lower(email)) do nothing
             returning id`,
            [newId(), user.email, user.name, demoHash],
          );
          if (!created.length) continue;
          await client.query(
            `insert into memberships (id, tenant_id, user_id, role, created_at) values ($1, $2, $3, $4, now())`,
            [newId(), tenantId, created[0].id, user.role],
          );
        }
      }
    }
    await client.query('commit');
    return { demo };
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    await client.end();
  }
}
