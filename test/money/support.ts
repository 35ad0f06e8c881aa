import pg from 'pg';
import { eventually, ownerQuery, startTestApp, type TestApp } from '../support/app.js';
import type { ApiResponse } from '../support/client.js';
import { createPlatformAdmin, type TenantWithAdmin } from '../support/factories.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** `at` moved by `ms`, as a Date. */
export const plus = (at: string | number | Date, ms: number): Date => new Date(new Date(at).getTime() + ms);

export { as } from '../support/factories.js';

export interface MoneyApp {
  t: TestApp;
  adminToken: string;
  clock: AppClock;
  /** Column counting the dunning schedule's own attempts (`auto_attempt_count`; `attempt_count` before it exists). */
  autoAttemptColumn: string;
}

/**
 * The app with its worker on a controllable clock. The worker's periodic scan runs every second
 * (the floor) so due work is found without waiting a minute; creation throttles are lifted because
 * lifecycles add many cards.
 */
export async function startMoneyApp(): Promise<MoneyApp> {
  const t = await startTestApp(
    { CLOCK_CONTROL: 'true', RENEWAL_SCAN_EVERY_MS: '1000', CREATE_MAX_PER_USER: '10000', CREATE_MAX_PER_TENANT: '10000' },
    { worker: true },
  );
  const adminToken = (await createPlatformAdmin(t)).token;
  const [column] = await ownerQuery<{ column_name: string }>(
    t,
    `select column_name from information_schema.columns where table_name = 'invoices' and column_name = 'auto_attempt_count'`,
  );
  return {
    t,
    adminToken,
    clock: new AppClock(t, adminToken),
    autoAttemptColumn: column ? 'auto_attempt_count' : 'attempt_count',
  };
}

/** The application clock (PUT /v1/admin/clock). It keeps running in real time between moves. */
export class AppClock {
  constructor(
    private readonly t: TestApp,
    private readonly token: string,
  ) {}

  async now(): Promise<Date> {
    const res = await this.t.api.get('/v1/admin/clock', { token: this.token });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    return new Date(res.body.now);
  }

  /** Moves business time forward to `at`; the worker's scan runs as of then. */
  async to(at: string | number | Date): Promise<Date> {
    const res = await this.t.api.request('PUT', '/v1/admin/clock', { now: new Date(at).toISOString() }, { token: this.token });
    if (res.status !== 200) throw new Error(`clock to ${new Date(at).toISOString()}: ${res.status} ${JSON.stringify(res.body)}`);
    return new Date(res.body.now);
  }

  async by(ms: number): Promise<Date> {
    return this.to((await this.now()).getTime() + ms);
  }
}

/**
 * Due work the worker has not done yet as of `now`: renewals (a live period that has ended) and
 * collections (an open invoice of a live subscription whose retry is due, or a plan change's
 * invoice never attempted). Scoped to one tenant when given.
 */
async function pendingWork(m: MoneyApp, now: Date, tenantId: string | null): Promise<{ renewals: number; collections: number }> {
  const [row] = await ownerQuery<{ renewals: number; collections: number }>(
    m.t,
    `select
       (select count(*)::int from subscriptions s
         where s.status in ('active', 'trialing') and s.current_period_end <= $1
           and ($2::uuid is null or s.tenant_id = $2)) as renewals,
       (select count(*)::int from invoices i join subscriptions s on s.id = i.subscription_id
         where i.status = 'open' and s.status in ('trialing', 'active', 'past_due')
           and (i.next_attempt_at <= $1 or (i.${m.autoAttemptColumn} = 0 and i.billing_reason = 'subscription_update'))
           and ($2::uuid is null or s.tenant_id = $2)) as collections`,
    [now, tenantId],
  );
  return row;
}

/**
 * Waits until the worker has done everything due as of the application clock (for one tenant, or
 * all). Nudges the scan with a one-second clock move while work is pending, so a chain of due
 * work (a renewal, then its retry) does not wait for the periodic scan.
 */
export async function settle(m: MoneyApp, tenant?: TenantWithAdmin, timeoutMs = 20_000): Promise<void> {
  let round = 0;
  let last = '';
  await eventually(
    async () => {
      const now = await m.clock.now();
      const pending = await pendingWork(m, now, tenant?.tenantId ?? null);
      if (!pending.renewals && !pending.collections) return true;
      last = `worker not settled at ${now.toISOString()}: ${JSON.stringify(pending)}`;
      // A second ahead, so the move is still forward when it arrives; refused (409) only if time overtook it.
      if (round++ % 4 === 3) await m.clock.to(now.getTime() + 1000).catch(() => undefined);
      return false;
    },
    timeoutMs,
    () => last,
  );
}

/** Runs the queries in one read-only REPEATABLE READ transaction as the owner: one snapshot across tables. */
export async function snapshot<T>(
  t: TestApp,
  read: (query: (sql: string, params?: unknown[]) => Promise<any[]>) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: t.ownerUrl });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const result = await read(async (sql, params = []) => (await client.query(sql, params)).rows);
    await client.query('commit');
    return result;
  } finally {
    await client.end();
  }
}

/** Status and RFC 9457 code of an answer, for compact assertions. */
export const outcome = (res: ApiResponse) => (res.status >= 400 ? `${res.status} ${res.body?.code}` : String(res.status));
