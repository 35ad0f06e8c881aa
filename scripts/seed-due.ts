import { randomUUID } from 'node:crypto';
import type pg from 'pg';

export interface SeededPlan {
  planId: string;
  versionId: string;
}

/** A monthly plan to seed subscriptions on (as the owner; bypasses the API for volume). */
export async function seedPlan(client: pg.Client, priceAmount = 1000): Promise<SeededPlan> {
  const planId = randomUUID();
  const versionId = randomUUID();
  await client.query(
    `insert into plans (id, code, name, description, status, current_version, created_at, updated_at)
     values ($1, $2, 'Bench', '', 'active', 1, now(), now())`,
    [planId, `bench-${planId.slice(0, 8)}`],
  );
  await client.query(
    `insert into plan_versions (id, plan_id, version, price_amount, currency, interval, interval_count, trial_days, duration_cycles, limits, created_at)
     values ($1, $2, 1, $3, 'USD', 'month', 1, 0, null, '[]', now())`,
    [versionId, planId, priceAmount],
  );
  return { planId, versionId };
}

/**
 * `n` tenants, each with a working card and one active monthly subscription whose period ended
 * at `periodEnd` (so it is due for renewal). Set-based: 100k rows take seconds.
 */
export async function seedDueSubscriptions(client: pg.Client, plan: SeededPlan, n: number, periodEnd: Date): Promise<void> {
  const start = new Date(periodEnd);
  start.setUTCMonth(start.getUTCMonth() - 1);
  const batch = randomUUID().slice(0, 8);
  await client.query(
    `with t as (
       insert into tenants (id, name, slug, status, created_at, updated_at)
       select gen_random_uuid(), 'Due ' || g, 'due-' || $2 || '-' || g, 'active', now(), now() from generate_series(1, $1::int) g
       returning id
     ), pm as (
       insert into payment_methods (id, tenant_id, brand, last4, exp_month, exp_year, provider_token, created_at)
       select gen_random_uuid(), id, 'visa', '4242', 12, 2099, 'pm_mock_success_' || md5(id::text), now() from t
       returning tenant_id
     )
     insert into subscriptions (id, tenant_id, plan_id, plan_version_id, status, billing_anchor, current_period_start,
                                current_period_end, cycles_billed, cycles_on_version, price_changed_at, cancel_at_period_end,
                                created_at, updated_at)
     select gen_random_uuid(), tenant_id, $3, $4, 'active', $5, $5, $6, 1, 1, $5, false, now(), now() from pm`,
    [n, batch, plan.planId, plan.versionId, start, periodEnd],
  );
}
