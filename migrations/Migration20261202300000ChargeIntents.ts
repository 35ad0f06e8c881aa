import { Migration } from '@mikro-orm/migrations';
import { PLATFORM, TENANT_SETTING } from './Migration20261122000000Foundation.js';

/**
 * Issue 10: a charge is recorded before it is made.
 * - `charge_intents`: committed (on a connection of its own) before the gateway is called, with the
 *   charge key the gateway receives as its idempotency key; the request's transaction completes it
 *   with the payment. An intent still pending later means the outcome never reached the database:
 *   the reconciler asks the gateway by key and refunds a charge nothing records.
 * - `payments.charge_key`: which intent (and gateway charge) a payment records.
 * - `mock_gateway.charges`: the mock provider's own durable idempotency store, in a schema of its
 *   own, written on its own connections (never inside the platform's transactions), as an external
 *   provider's would be: a charge survives the platform's rollback, restart or Redis loss.
 */
export class Migration20261202300000ChargeIntents extends Migration {
  override up(): void {
    this.addSql(`
      create table charge_intents (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        charge_key text not null unique,
        invoice_id uuid,
        amount bigint not null check (amount >= 0),
        currency char(3) not null,
        status text not null check (status in ('pending', 'succeeded', 'failed', 'refunded', 'abandoned')),
        provider_charge_id text,
        created_at timestamptz not null,
        settled_at timestamptz
      );
      create index charge_intents_pending_idx on charge_intents (created_at) where status = 'pending';
      alter table charge_intents enable row level security;
      alter table charge_intents force row level security;
      create policy tenant_isolation on charge_intents to eshtarek_api
        using (tenant_id = ${TENANT_SETTING}) with check (tenant_id = ${TENANT_SETTING});
      create policy platform_access on charge_intents to eshtarek_platform using (${PLATFORM}) with check (${PLATFORM});
      grant select, insert, update (status, provider_charge_id, settled_at) on charge_intents to eshtarek_api, eshtarek_platform;

      alter table payments add column charge_key text;

      create schema mock_gateway;
      create table mock_gateway.charges (
        idempotency_key text primary key,
        id text not null unique,
        status text not null check (status in ('succeeded', 'failed')),
        failure_code text,
        amount bigint not null,
        currency char(3) not null,
        created_at timestamptz not null default now(),
        refunded_at timestamptz
      );
      grant usage on schema mock_gateway to eshtarek_api, eshtarek_platform;
      grant select, insert, update (refunded_at) on mock_gateway.charges to eshtarek_api, eshtarek_platform;
    `);
  }
}
