import { Migration } from '@mikro-orm/migrations';
import { PLATFORM, TENANT_SETTING } from './Migration20261122000000Foundation.js';

const TENANT_TABLES = [
  'subscriptions',
  'payment_methods',
  'invoices',
  'invoice_lines',
  'payments',
  'credit_ledger',
  'tenant_counters',
];

/**
 * Catalog (limit policies, plans and their immutable versions), subscriptions and billing
 * (payment methods, invoices, payments, tenant credit). Every tenant-owned table gets FORCE RLS
 * and the same policy as the foundation's tables; the platform role reads across tenants.
 */
export class Migration20261122010000Billing extends Migration {
  override up(): void {
    this.addSql(`
      create table policies (
        id uuid primary key,
        name text not null,
        metric text not null check (metric ~ '^[a-z][a-z0-9_]{0,62}$'),
        kind text not null check (kind in ('gauge', 'counter')),
        "limit" bigint check ("limit" is null or "limit" >= 0),
        enforcement text not null check (enforcement in ('hard', 'soft')),
        warning_thresholds jsonb not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );

      create table plans (
        id uuid primary key,
        code text not null unique,
        name text not null,
        description text not null default '',
        status text not null check (status in ('active', 'archived')),
        current_version integer not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );

      -- A plan's commercial terms; never updated once written.
      create table plan_versions (
        id uuid primary key,
        plan_id uuid not null references plans (id),
        version integer not null,
        price_amount bigint not null check (price_amount >= 0),
        currency char(3) not null,
        interval text not null check (interval in ('day', 'week', 'month', 'year')),
        interval_count integer not null check (interval_count between 1 and 365),
        trial_days integer not null check (trial_days between 0 and 730),
        duration_cycles integer check (duration_cycles is null or duration_cycles >= 1),
        -- The limits as they were when the version was published: [{ policyId, metric, kind, limit, enforcement, warningThresholds }]
        limits jsonb not null,
        created_at timestamptz not null,
        unique (plan_id, version)
      );

      create table subscriptions (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        plan_id uuid not null references plans (id),
        plan_version_id uuid not null references plan_versions (id),
        status text not null check (status in ('trialing', 'active', 'past_due', 'cancelled', 'expired')),
        billing_anchor timestamptz not null,
        current_period_start timestamptz not null,
        current_period_end timestamptz not null,
        trial_end timestamptz,
        cycles_billed integer not null default 0,
        cancel_at_period_end boolean not null default false,
        scheduled_plan_version_id uuid references plan_versions (id),
        payment_method_id uuid,
        ended_at timestamptz,
        ended_reason text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index subscriptions_tenant_idx on subscriptions (tenant_id, created_at desc, id desc);
      -- One live subscription per tenant, enforced by the database.
      create unique index subscriptions_one_live_per_tenant on subscriptions (tenant_id)
        where status in ('trialing', 'active', 'past_due');
      create index subscriptions_period_end_idx on subscriptions (current_period_end)
        where status in ('trialing', 'active', 'past_due');

      create table payment_methods (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        brand text not null,
        last4 char(4) not null,
        exp_month integer not null check (exp_month between 1 and 12),
        exp_year integer not null,
        provider_token text not null,
        created_at timestamptz not null,
        deleted_at timestamptz
      );
      create index payment_methods_tenant_idx on payment_methods (tenant_id, created_at desc, id desc) where deleted_at is null;

      -- Per-tenant sequences (invoice numbers): one row per tenant and name, bumped under its row lock.
      create table tenant_counters (
        tenant_id uuid not null references tenants (id),
        name text not null,
        value bigint not null,
        primary key (tenant_id, name)
      );

      create table invoices (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        number text not null,
        subscription_id uuid not null references subscriptions (id),
        billing_reason text not null check (billing_reason in ('subscription_create', 'subscription_cycle', 'subscription_update', 'manual')),
        status text not null check (status in ('open', 'paid', 'void', 'uncollectible')),
        currency char(3) not null,
        subtotal_amount bigint not null,
        credit_applied_amount bigint not null default 0 check (credit_applied_amount >= 0),
        total_amount bigint not null check (total_amount >= 0),
        period_start timestamptz not null,
        period_end timestamptz not null,
        attempt_count integer not null default 0,
        -- Dunning: when the first charge failed, and when the next retry is due.
        dunning_started_at timestamptz,
        next_attempt_at timestamptz,
        paid_at timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (tenant_id, number)
      );
      create index invoices_tenant_idx on invoices (tenant_id, created_at desc, id desc);
      -- One cycle invoice per subscription and period.
      create unique index invoices_one_per_cycle on invoices (tenant_id, subscription_id, period_start)
        where billing_reason in ('subscription_create', 'subscription_cycle');
      create index invoices_open_idx on invoices (next_attempt_at) where status = 'open';

      create table invoice_lines (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        invoice_id uuid not null references invoices (id),
        position integer not null,
        kind text not null,
        description text not null,
        amount bigint not null,
        period_start timestamptz,
        period_end timestamptz,
        calculation jsonb,
        unique (tenant_id, invoice_id, position)
      );

      create table payments (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        invoice_id uuid not null references invoices (id),
        payment_method_id uuid,
        amount bigint not null check (amount >= 0),
        currency char(3) not null,
        status text not null check (status in ('succeeded', 'failed')),
        failure_code text,
        provider_charge_id text,
        attempt integer not null,
        created_at timestamptz not null,
        -- One charge per invoice attempt.
        unique (tenant_id, invoice_id, attempt)
      );
      create index payments_tenant_idx on payments (tenant_id, created_at desc, id desc);

      -- Tenant credit: positive entries add credit (net-negative prorations), negative ones use it.
      create table credit_ledger (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        currency char(3) not null,
        amount bigint not null,
        reason text not null,
        invoice_id uuid references invoices (id),
        created_at timestamptz not null
      );
      create index credit_ledger_tenant_idx on credit_ledger (tenant_id, currency);
    `);

    this.addSql(`
      grant select, insert, update on policies, plans, plan_versions to eshtarek_api, eshtarek_platform;
      grant select, insert, update on subscriptions, payment_methods, invoices, tenant_counters to eshtarek_api, eshtarek_platform;
      grant select, insert on invoice_lines, payments, credit_ledger to eshtarek_api, eshtarek_platform;
    `);
    for (const table of TENANT_TABLES) {
      this.addSql(`
        alter table ${table} enable row level security;
        alter table ${table} force row level security;
        create policy tenant_isolation on ${table} to eshtarek_api
          using (tenant_id = ${TENANT_SETTING}) with check (tenant_id = ${TENANT_SETTING});
        create policy platform_access on ${table} to eshtarek_platform using (${PLATFORM}) with check (${PLATFORM});
      `);
    }
  }
}
