import { Migration } from '@mikro-orm/migrations';

/**
 * One free trial per tenant, remembered: when the tenant's first trial started, set in the same
 * transaction as the trialing subscription (and never cleared), so cancelling and subscribing
 * again does not start another. Tenants that already had a trialing subscription count as used.
 */
export class Migration20261201500000TrialRemembered extends Migration {
  override up(): void {
    this.addSql(`
      alter table tenants add column trial_started_at timestamptz;
      update tenants t set trial_started_at = s.first_trial
        from (select tenant_id, min(created_at) as first_trial from subscriptions
               where trial_end is not null group by tenant_id) s
       where s.tenant_id = t.id;
      -- Claimed by the subscribe request itself; the request role may write no other new column.
      grant update (trial_started_at) on tenants to eshtarek_api;
    `);
  }
}
