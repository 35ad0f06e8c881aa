import { Migration } from '@mikro-orm/migrations';
import { PLATFORM, TENANT_SETTING } from './Migration20261122000000Foundation.js';

/**
 * Redis is an accelerator, not a source of truth (issue 10):
 *
 * - `job_outbox`: work that must happen because of a change is written in the change's own
 *   transaction; the worker's relay (woken by NOTIFY job_outbox at commit, and polling) hands it
 *   to BullMQ and marks it done once its job completed.
 *   A request never waits on Redis, and a Redis that lost everything loses nothing: pending rows
 *   are handed over again. Tenant work carries its tenant (row-level security as every tenant
 *   table); platform work (a scan after the clock moved) has none, and only the platform path may
 *   write it. The request role may only insert (not read, mark or delete) — and not the columns
 *   the relay keeps.
 * - `app_clock`: the application clock's offset (CLOCK_CONTROL), one row, read by every process;
 *   only the platform path moves it.
 */
export class Migration20261202200000DurableJobs extends Migration {
  override up(): void {
    this.addSql(`
      create table job_outbox (
        id uuid primary key,
        tenant_id uuid references tenants (id) on delete cascade,
        queue text not null check (length(queue) between 1 and 100),
        job_name text not null check (length(job_name) between 1 and 100),
        job_id text not null check (length(job_id) between 1 and 255),
        payload jsonb not null default '{}',
        created_at timestamptz not null default now(),
        dispatched_at timestamptz,
        dispatch_count integer not null default 0 check (dispatch_count >= 0),
        done_at timestamptz
      );
      -- The same work is pending once (the job id names it), whoever asks for it again.
      create unique index job_outbox_pending_once on job_outbox (tenant_id, queue, job_id) nulls not distinct
        where done_at is null;
      -- The relay reads what is pending, oldest first; the purge what was done long ago.
      create index job_outbox_pending_idx on job_outbox (id) where done_at is null;
      create index job_outbox_done_idx on job_outbox (done_at) where done_at is not null;

      revoke all on job_outbox from public;
      grant insert (id, tenant_id, queue, job_name, job_id, payload) on job_outbox to eshtarek_api;
      grant select, insert (id, tenant_id, queue, job_name, job_id, payload),
        update (dispatched_at, dispatch_count, done_at), delete on job_outbox to eshtarek_platform;

      alter table job_outbox enable row level security;
      alter table job_outbox force row level security;
      create policy tenant_isolation on job_outbox to eshtarek_api
        using (tenant_id = ${TENANT_SETTING}) with check (tenant_id = ${TENANT_SETTING});
      create policy platform_access on job_outbox to eshtarek_platform using (${PLATFORM}) with check (${PLATFORM});

      -- New work wakes the relay at once (delivered at commit; the relay also polls).
      create function job_outbox_notify() returns trigger language plpgsql set search_path = pg_catalog as $$
      begin
        perform pg_notify('job_outbox', '');
        return null;
      end $$;
      create trigger job_outbox_notify after insert on job_outbox for each statement execute function job_outbox_notify();
    `);

    this.addSql(`
      create table app_clock (
        singleton boolean primary key default true check (singleton),
        offset_ms bigint not null default 0 check (offset_ms >= 0),
        updated_at timestamptz not null default now()
      );
      insert into app_clock default values;
      revoke all on app_clock from public;
      grant select on app_clock to eshtarek_api, eshtarek_platform;
      grant update (offset_ms, updated_at) on app_clock to eshtarek_platform;
    `);
  }
}
