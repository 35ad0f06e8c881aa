import { Migration } from '@mikro-orm/migrations';

/** Row-level security for a tenant-owned table: one tenant per transaction, or the platform path. */
export const TENANT_SETTING = "nullif(current_setting('app.tenant_id', true), '')::uuid";
export const USER_SETTING = "nullif(current_setting('app.user_id', true), '')::uuid";
/**
 * The API's login role is a member of eshtarek_platform (so it may SET LOCAL ROLE to it), and a
 * policy for a role also applies to its members; this keeps the platform policies off unless the
 * role was actually switched.
 */
export const PLATFORM = "current_user = 'eshtarek_platform'";

/**
 * Identity, tenancy, audit and idempotency. Roles `eshtarek_api` (the privileges of the API's login
 * role) and `eshtarek_platform` (the explicit cross-tenant path, entered with SET LOCAL ROLE) are
 * created by the database setup before migrations run.
 */
export class Migration20261122000000Foundation extends Migration {
  override up(): void {
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null,
        name text not null,
        password_hash text not null,
        is_platform_admin boolean not null default false,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create unique index users_email_unique on users (lower(email));

      create table sessions (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz,
        revoked_reason text
      );
      create index sessions_user_idx on sessions (user_id) where revoked_at is null;

      create table refresh_tokens (
        id uuid primary key,
        session_id uuid not null references sessions (id) on delete cascade,
        token_hash text not null unique,
        created_at timestamptz not null,
        used_at timestamptz
      );
      create index refresh_tokens_session_idx on refresh_tokens (session_id);

      create table tenants (
        id uuid primary key,
        name text not null check (length(name) between 1 and 200),
        slug text not null unique,
        status text not null default 'active' check (status in ('active', 'suspended')),
        created_at timestamptz not null,
        updated_at timestamptz not null
      );

      create table memberships (
        id uuid primary key,
        tenant_id uuid not null references tenants (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        role text not null check (role in ('tenant_admin', 'tenant_user')),
        created_at timestamptz not null,
        unique (tenant_id, user_id)
      );
      create index memberships_user_idx on memberships (user_id);

      create table audit_logs (
        id uuid primary key,
        tenant_id uuid references tenants (id),
        actor_user_id uuid,
        action text not null,
        target_type text not null,
        target_id text,
        before jsonb,
        after jsonb,
        request_id text,
        created_at timestamptz not null
      );
      create index audit_logs_tenant_idx on audit_logs (tenant_id, created_at desc, id desc);
      create index audit_logs_created_idx on audit_logs (created_at desc, id desc);

      create table idempotency_keys (
        caller text not null,
        key text not null,
        request_hash text not null,
        status_code integer,
        response_body jsonb,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        primary key (caller, key)
      );
      create index idempotency_keys_expiry_idx on idempotency_keys (expires_at);
    `);

    // Privileges: the API role reads and writes what it needs; the audit log is insert + select only.
    this.addSql(`
      grant usage on schema public to eshtarek_api, eshtarek_platform;
      grant select, insert, update, delete on users, sessions, refresh_tokens, tenants, memberships, idempotency_keys
        to eshtarek_api, eshtarek_platform;
      grant select, insert on audit_logs to eshtarek_api, eshtarek_platform;
    `);

    // Tenants: visible in the current tenant and to its members (for "my memberships"); platform path sees all.
    this.addSql(`
      alter table tenants enable row level security;
      alter table tenants force row level security;
      create policy tenant_isolation on tenants to eshtarek_api
        using (id = ${TENANT_SETTING}
               or id in (select m.tenant_id from memberships m where m.user_id = ${USER_SETTING}))
        with check (id = ${TENANT_SETTING});
      create policy platform_access on tenants to eshtarek_platform using (${PLATFORM}) with check (${PLATFORM});

      alter table memberships enable row level security;
      alter table memberships force row level security;
      create policy tenant_isolation on memberships to eshtarek_api
        using (tenant_id = ${TENANT_SETTING})
        with check (tenant_id = ${TENANT_SETTING});
      create policy own_memberships on memberships for select to eshtarek_api
        using (user_id = ${USER_SETTING});
      create policy platform_access on memberships to eshtarek_platform using (${PLATFORM}) with check (${PLATFORM});

      alter table audit_logs enable row level security;
      alter table audit_logs force row level security;
      create policy tenant_read on audit_logs for select to eshtarek_api
        using (tenant_id = ${TENANT_SETTING});
      create policy tenant_append on audit_logs for insert to eshtarek_api
        with check (tenant_id is null or tenant_id = ${TENANT_SETTING});
      create policy platform_read on audit_logs for select to eshtarek_platform using (${PLATFORM});
      create policy platform_append on audit_logs for insert to eshtarek_platform with check (${PLATFORM});
    `);
  }
}
