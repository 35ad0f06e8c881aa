import pg from 'pg';
import { eventually, ownerQuery, type TestApp } from '../support/app.js';
import type { ApiResponse } from '../support/client.js';
import * as sdk from '../../sdk/index.js';
import type { PlanDto, SubscriptionDto } from '../../sdk/index.js';
import {
  createApiKey,
  createPlan,
  createTenantWithAdmin,
  expectData,
  subscribe,
  type TenantWithAdmin,
} from '../support/factories.js';

export interface PolicySpec {
  metric: string;
  limit: number | null;
  enforcement?: 'hard' | 'soft';
  warningThresholds?: number[];
}

/** A free monthly plan limiting the given metrics (one new policy each). */
export async function meteredPlan(
  t: TestApp,
  adminToken: string,
  specs: PolicySpec[],
  input: { name?: string; priceAmount?: number } = {},
): Promise<PlanDto> {
  const policyIds: string[] = [];
  for (const spec of specs) {
    const body = { ...spec, enforcement: spec.enforcement ?? 'hard' };
    const policy = await expectData('create policy', 201, sdk.createPolicy({ client: t.api.sdk({ token: adminToken }), body }));
    policyIds.push(policy.id);
  }
  return createPlan(t.api, adminToken, { name: input.name ?? 'Metered', priceAmount: input.priceAmount ?? 0, policyIds });
}

export interface MeteredTenant extends TenantWithAdmin {
  /** The whole API key (`sk_live_…`). */
  key: string;
  keyId: string;
  subscription: SubscriptionDto;
}

/** A new tenant subscribed to `planId`, with one live API key. */
export async function meteredTenant(t: TestApp, planId: string, name = 'Metered Co'): Promise<MeteredTenant> {
  const tenant = await createTenantWithAdmin(t.api, name);
  const subscription = await subscribe(t.api, tenant, planId);
  const key = await createApiKey(t.api, tenant);
  return { ...tenant, key: key.secret, keyId: key.id, subscription };
}

/** POST /v1/usage with the tenant's API key. */
export function record(
  t: TestApp,
  tenant: MeteredTenant | string,
  body: object,
  options: { idempotencyKey?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const key = typeof tenant === 'string' ? tenant : tenant.key;
  return t.api.post('/v1/usage', body, { token: key, ...options });
}

/** The counter rows of a tenant, as the owner sees them. */
export async function counters(t: TestApp, tenantId: string): Promise<{ metric: string; used: number; period_start: Date }[]> {
  return ownerQuery(
    t,
    'select metric, used::int as used, period_start from usage_counters where tenant_id = $1 order by period_start, metric',
    [tenantId],
  );
}

export async function eventCount(t: TestApp, tenantId: string, metric?: string): Promise<number> {
  const [{ n }] = await ownerQuery<{ n: number }>(
    t,
    'select count(*)::int as n from usage_events where tenant_id = $1 and ($2::text is null or metric = $2)',
    [tenantId, metric ?? null],
  );
  return n;
}

/** Tables a metering write creates its row in on first use. */
export type MeterTable = 'usage_counters' | 'usage_gauges';

export interface RaceOptions {
  /**
   * Hold `second` right after an UPDATE of this table that changed no row (the row of a first use
   * not seen yet) until `first` has committed: `second` then meets the row already committed when
   * it goes on to create it, instead of waiting on `first`'s insert.
   */
  holdAfterMiss?: MeterTable;
}

/** Advisory lock key of the hold (see `holdAfterMiss`). */
const HOLD_KEY = 100_010;

/**
 * Installs (as the owner) a statement trigger on `table` that, in sessions that set
 * `test.hold_after_miss`, waits on an advisory lock the returned handle holds after each UPDATE
 * that changed no row. `release` lets them go on; `remove` drops the trigger.
 */
async function holdAfterMiss(t: TestApp, table: MeterTable): Promise<{ release(): Promise<void>; remove(): Promise<void> }> {
  const owner = new pg.Client({ connectionString: t.ownerUrl });
  await owner.connect();
  await owner.query(`
    create or replace function test_hold_after_miss() returns trigger language plpgsql as $$
    begin
      if current_setting('test.hold_after_miss', true) = 'on' and not exists (select 1 from changed) then
        perform pg_advisory_xact_lock(${HOLD_KEY});
      end if;
      return null;
    end $$;
    create trigger test_hold_after_miss after update on ${table}
      referencing new table as changed for each statement execute function test_hold_after_miss();
    select pg_advisory_lock(${HOLD_KEY});
  `);
  return {
    release: async () => {
      await owner.query(`select pg_advisory_unlock(${HOLD_KEY})`);
    },
    remove: async () => {
      try {
        await owner.query(`drop trigger test_hold_after_miss on ${table}`);
      } finally {
        await owner.end();
      }
    },
  };
}

/**
 * Two sessions as the API's own role, in a fixed interleaving: `first` runs inside a transaction
 * left open; `second` starts, and once it waits on a lock `first` holds (or, with `holdAfterMiss`,
 * on the hold after its UPDATE found no row), `first` commits. Returns what each answered.
 */
export async function raceAsApiRole<T extends pg.QueryResultRow>(
  t: TestApp,
  first: (client: pg.Client) => Promise<pg.QueryResult<T>>,
  second: (client: pg.Client) => Promise<pg.QueryResult<T>>,
  options: RaceOptions = {},
): Promise<[T[], T[]]> {
  const a = new pg.Client({ connectionString: t.appUrl });
  const b = new pg.Client({ connectionString: t.appUrl });
  await a.connect();
  await b.connect();
  const hold = options.holdAfterMiss ? await holdAfterMiss(t, options.holdAfterMiss) : null;
  try {
    const [{ pid }] = (await b.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
    if (hold) await b.query(`select set_config('test.hold_after_miss', 'on', false)`);
    await a.query('begin');
    const firstRows = (await first(a)).rows;
    const racing = second(b);
    await eventually(async () => {
      const [row] = await ownerQuery(t, 'select wait_event_type, wait_event from pg_stat_activity where pid = $1', [pid]);
      return row?.wait_event_type === 'Lock' && (!hold || row.wait_event === 'advisory');
    });
    await a.query('commit');
    await hold?.release();
    return [firstRows, (await racing).rows];
  } finally {
    await hold?.remove();
    await a.end();
    await b.end();
  }
}
