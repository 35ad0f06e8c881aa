import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 9: what orchestration needs to keep money right.
 * - `incomplete_expired`: a subscription whose first charge failed (never live, never churn).
 * - `cycles_on_version`: full periods billed on the current plan version (fixed terms count these).
 * - `price_changed_at`: the last price-relevant change (subscribe, a change now), for `prorationDate`.
 * - `auto_attempt_count`: the dunning schedule's own attempts, apart from a tenant's "pay now" clicks.
 * - `credit_added_amount`: credit an invoice added to the balance, stored instead of re-derived.
 * Existing rows: terms count from the lifetime figure, as before; schedules from every attempt.
 */
export class Migration20261202000000MoneyOrchestration extends Migration {
  override up(): void {
    this.addSql(`
      alter table subscriptions drop constraint subscriptions_status_check;
      alter table subscriptions add constraint subscriptions_status_check
        check (status in ('trialing', 'active', 'past_due', 'cancelled', 'expired', 'incomplete_expired'));
      update subscriptions set status = 'incomplete_expired' where status = 'expired' and ended_reason = 'initial_payment_failed';
      alter table subscriptions add column cycles_on_version integer not null default 0 check (cycles_on_version >= 0);
      update subscriptions set cycles_on_version = cycles_billed;
      alter table subscriptions add column price_changed_at timestamptz;
      update subscriptions set price_changed_at = created_at;
      alter table subscriptions alter column price_changed_at set not null;

      alter table invoices add column auto_attempt_count integer not null default 0 check (auto_attempt_count >= 0);
      update invoices set auto_attempt_count = attempt_count;
      alter table invoices add column credit_added_amount bigint not null default 0 check (credit_added_amount >= 0);
      update invoices i set credit_added_amount = l.amount
        from invoice_lines l where l.invoice_id = i.id and l.kind = 'credit_to_balance';
      create index invoices_subscription_open_idx on invoices (subscription_id) where status = 'open';
      create index credit_ledger_tenant_time_idx on credit_ledger (tenant_id, created_at desc, id desc);
    `);
  }
}
