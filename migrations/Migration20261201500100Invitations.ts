import { Migration } from '@mikro-orm/migrations';
import { PLATFORM, TENANT_SETTING } from './Migration20261122000000Foundation.js';

/**
 * Invitations replace direct member adds: a tenant_admin invites an email, the person who signs
 * in with that email accepts or declines. The invitee is not a member of the tenant yet, so
 * besides the usual tenant policy they reach the invitations addressed to their own account's
 * email — the email is looked up by the database from `app.user_id` (never taken from the
 * client), through a narrow SECURITY DEFINER function that returns that one value.
 */
export class Migration20261201500100Invitations extends Migration {
  override up(): void {
    this.addSql(`
      create table invitations (
        id uuid primary key,
        tenant_id uuid not null references tenants (id) on delete cascade,
        email text not null check (email = lower(email) and length(email) between 3 and 320),
        role text not null check (role in ('tenant_admin', 'tenant_user')),
        status text not null check (status in ('pending', 'accepted', 'declined', 'revoked')),
        invited_by uuid references users (id) on delete set null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        answered_at timestamptz
      );
      create index invitations_tenant_idx on invitations (tenant_id, created_at, id) where status = 'pending';
      create index invitations_email_idx on invitations (email) where status = 'pending';
      -- One open invitation per email and tenant: inviting again renews it.
      create unique index invitations_one_pending on invitations (tenant_id, email) where status = 'pending';

      create function app_user_email() returns text
        language sql stable security definer set search_path = pg_catalog, public
        as $$ select lower(u.email) from public.users u where u.id = nullif(current_setting('app.user_id', true), '')::uuid $$;
      revoke all on function app_user_email() from public;
      grant execute on function app_user_email() to eshtarek_api, eshtarek_platform;

      grant select, insert, update on invitations to eshtarek_api, eshtarek_platform;
      alter table invitations enable row level security;
      alter table invitations force row level security;
      create policy tenant_isolation on invitations to eshtarek_api
        using (tenant_id = ${TENANT_SETTING}) with check (tenant_id = ${TENANT_SETTING});
      -- The invitee reads the invitations addressed to them and answers the pending ones.
      create policy invitee_read on invitations for select to eshtarek_api
        using (email = app_user_email());
      create policy invitee_answer on invitations for update to eshtarek_api
        using (email = app_user_email() and status = 'pending') with check (email = app_user_email());
      create policy platform_access on invitations to eshtarek_platform using (${PLATFORM}) with check (${PLATFORM});

      -- The invitee sees the name of a tenant that invites them (for GET /v1/auth/me).
      create policy invitee_read on tenants for select to eshtarek_api
        using (id in (select i.tenant_id from invitations i where i.status = 'pending' and i.email = app_user_email()));
    `);
  }
}
