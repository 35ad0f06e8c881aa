import { Migration } from '@mikro-orm/migrations';
import { TENANT_SETTING } from './Migration20261122000000Foundation.js';

/** Every function below: runs as its owner `eshtarek_credentials`, with a search path nobody else can shadow. */
const DEFINER = 'security definer set search_path = public, pg_temp';

/**
 * Least privilege for the API's request role (`eshtarek_api`) and the cross-tenant role
 * (`eshtarek_platform`, now a login role of its own on a separate pool; the request role is no
 * longer its member and cannot switch to it):
 *
 * - Column-level grants: nobody but the owner writes `users.is_platform_admin`, and nobody reads
 *   `users.password_hash`; a tenant cannot change its own `status`; plan versions are immutable;
 *   DELETE only where a request deletes (memberships).
 * - Credential tables (sessions, refresh tokens, password hashes, idempotency records) are out of
 *   reach of both roles. They are reached only through the narrow functions below, owned by the
 *   non-login role `eshtarek_credentials` (created by the database setup): one account by its exact
 *   email, one session by its id *and* its user, one refresh token by its exact hash, one
 *   idempotency record by its caller and key. Nothing lists them.
 * - The audit actor is set by the database from the session setting `app.user_id` (the identity
 *   row-level security already trusts); a request cannot write `platform.*` entries.
 */
export class Migration20261201400000LeastPrivilege extends Migration {
  override up(): void {
    this.addSql(`
      grant usage on schema public to eshtarek_credentials;

      revoke all on users, sessions, refresh_tokens, idempotency_keys from eshtarek_api, eshtarek_platform;
      grant select (id, email, name, is_platform_admin, created_at, updated_at) on users to eshtarek_api, eshtarek_platform;
      -- Registration: is_platform_admin keeps its default (false).
      grant insert (id, email, name, password_hash, created_at, updated_at) on users to eshtarek_api;

      grant select (id, email, name, password_hash, is_platform_admin) on users to eshtarek_credentials;
      grant update (password_hash, updated_at) on users to eshtarek_credentials;
      grant select, insert, update (revoked_at, revoked_reason), delete on sessions to eshtarek_credentials;
      grant select, insert, update (used_at) on refresh_tokens to eshtarek_credentials;
      grant select, insert, update, delete on idempotency_keys to eshtarek_credentials;

      -- Tenants: a tenant renames itself; only the platform path suspends or reactivates.
      revoke all on tenants, memberships from eshtarek_api, eshtarek_platform;
      grant select, insert, update (name, updated_at) on tenants to eshtarek_api;
      grant select, update (status, updated_at) on tenants to eshtarek_platform;
      grant select, insert, update (role), delete on memberships to eshtarek_api;
      grant select on memberships to eshtarek_platform;

      -- A plan's published terms never change.
      revoke update on plan_versions from eshtarek_api, eshtarek_platform;

      -- API keys: created and revoked in the tenant, last use recorded, their hashes never read back
      -- (only api_key_authenticate compares them); the platform path never needs them.
      revoke all on api_keys from eshtarek_api, eshtarek_platform;
      grant select (id, tenant_id, name, mode, prefix, last4, created_by, created_at, last_used_at, revoked_at, revoked_by),
        insert, update (last_used_at, revoked_at, revoked_by) on api_keys to eshtarek_api;
      -- Metering writes happen in the tenant only; the platform path reads totals.
      revoke insert, update on usage_counters, usage_gauges, usage_events, notifications from eshtarek_platform;
    `);

    // API-key lookup before the tenant is known: moved from eshtarek_platform (now a login role,
    // which could otherwise replace its own function) to the non-login owner of the credential functions.
    this.addSql(`
      grant select (id, tenant_id, mode, prefix, secret_hash, revoked_at) on api_keys to eshtarek_credentials;
      create policy key_lookup on api_keys for select to eshtarek_credentials using (true);
      alter function api_key_authenticate(text, bytea) owner to eshtarek_credentials;
    `);

    // The audit actor comes from the session, whatever the insert says; the request role cannot
    // write the platform's own entries (platform.*), only the platform path can.
    this.addSql(`
      create function audit_actor() returns trigger language plpgsql set search_path = public, pg_temp as $$
      begin
        new.actor_user_id := nullif(current_setting('app.user_id', true), '')::uuid;
        return new;
      end $$;
      create trigger audit_logs_actor before insert on audit_logs for each row execute function audit_actor();

      drop policy tenant_append on audit_logs;
      create policy tenant_append on audit_logs for insert to eshtarek_api
        with check ((tenant_id is null or tenant_id = ${TENANT_SETTING}) and action not like 'platform.%');
    `);

    // The seal: the functions that issue credentials or hand out secrets take an HMAC of their
    // arguments under a key that only the application process and the credential functions' owner
    // hold (installed by the owner at set-up, from the application's secret). SQL run as the API's
    // role — an injection — can name an account, but cannot seal the call.
    this.addSql(`
      create extension if not exists pgcrypto;
      create table credential_seal (
        singleton boolean primary key default true check (singleton),
        key bytea not null check (length(key) >= 32)
      );
      revoke all on credential_seal from public;
      grant select on credential_seal to eshtarek_credentials;

      create function credentials_require_seal(p_message text, p_seal bytea) returns void
      language plpgsql stable ${DEFINER} as $$
      begin
        if p_seal is null or not exists (
          select 1 from credential_seal s where hmac(convert_to(p_message, 'UTF8'), s.key, 'sha256') = p_seal
        ) then
          raise exception 'credential call without a valid seal' using errcode = '42501';
        end if;
      end $$;
    `);

    this.addSql(`
      -- Sign-in: one account by its exact email (case-insensitive), hash included for the
      -- verification the application does (argon2 is not in the database).
      create function auth_password_hash(p_email text, p_seal bytea)
      returns table (user_id uuid, email text, name text, is_platform_admin boolean, password_hash text)
      language plpgsql stable ${DEFINER} as $$
      begin
        perform credentials_require_seal('password_hash:' || p_email, p_seal);
        return query select u.id, u.email, u.name, u.is_platform_admin, u.password_hash
                       from users u where lower(u.email) = lower(p_email);
      end $$;

      -- A new session with its first refresh token (stored as a hash).
      create function auth_start_session(p_session uuid, p_user uuid, p_now timestamptz, p_expires timestamptz,
                                         p_token uuid, p_token_hash text, p_seal bytea)
      returns void language plpgsql ${DEFINER} as $$
      begin
        perform credentials_require_seal('start_session:' || p_user || ':' || p_session, p_seal);
        insert into sessions (id, user_id, created_at, expires_at) values (p_session, p_user, p_now, p_expires);
        -- An ops dashboard session has no refresh token.
        if p_token is not null then
          insert into refresh_tokens (id, session_id, token_hash, created_at) values (p_token, p_session, p_token_hash, p_now);
        end if;
      end $$;

      -- The access check of every signed-in request: the session by its id and its user together.
      create function auth_session_caller(p_session uuid, p_user uuid, p_now timestamptz)
      returns table (is_platform_admin boolean, session_active boolean)
      language sql stable ${DEFINER} as $$
        select u.is_platform_admin, (s.revoked_at is null and s.expires_at > p_now)
          from sessions s join users u on u.id = s.user_id
         where s.id = p_session and u.id = p_user
      $$;

      -- Spends a refresh token and issues its successor in one statement. 'invalid': unknown, or its
      -- session ended; 'reused': spent before, so it leaked: the session is revoked.
      create function auth_refresh(p_token_hash text, p_new_token uuid, p_new_hash text, p_now timestamptz,
                                   out outcome text, out session_id uuid, out user_id uuid)
      language plpgsql ${DEFINER} as $$
      declare
        v_token uuid;
        v_live boolean;
      begin
        select t.id, s.id, s.user_id, (s.revoked_at is null and s.expires_at > p_now)
          into v_token, session_id, user_id, v_live
          from refresh_tokens t join sessions s on s.id = t.session_id
         where t.token_hash = p_token_hash;
        if v_token is null or not v_live then
          outcome := 'invalid';
          session_id := null;
          user_id := null;
          return;
        end if;
        -- Spent atomically: of two concurrent uses, one rotates and the other is a reuse.
        update refresh_tokens set used_at = p_now where id = v_token and used_at is null;
        if not found then
          update sessions set revoked_at = p_now, revoked_reason = 'refresh_token_reused'
           where id = session_id and revoked_at is null;
          outcome := 'reused';
          return;
        end if;
        insert into refresh_tokens (id, session_id, token_hash, created_at) values (p_new_token, session_id, p_new_hash, p_now);
        outcome := 'rotated';
      end $$;

      -- Ends one session of one user (logout).
      create function auth_end_session(p_session uuid, p_user uuid, p_now timestamptz, p_reason text)
      returns boolean language sql ${DEFINER} as $$
        update sessions set revoked_at = p_now, revoked_reason = p_reason
         where id = p_session and user_id = p_user and revoked_at is null
        returning true
      $$;

      -- A password change from a live session of that user: the new hash, and every other session ended.
      create function auth_change_password(p_user uuid, p_session uuid, p_hash text, p_now timestamptz, p_seal bytea)
      returns boolean language plpgsql ${DEFINER} as $$
      begin
        perform credentials_require_seal('change_password:' || p_user || ':' || p_session, p_seal);
        perform 1 from sessions s
         where s.id = p_session and s.user_id = p_user and s.revoked_at is null and s.expires_at > p_now;
        if not found then
          return false;
        end if;
        update users set password_hash = p_hash, updated_at = p_now where id = p_user;
        update sessions set revoked_at = p_now, revoked_reason = 'password_changed'
         where user_id = p_user and id <> p_session and revoked_at is null;
        return true;
      end $$;

      -- Claims an Idempotency-Key for a caller (or takes over an expired claim); otherwise returns
      -- what is stored. A concurrent claim of the same key waits on the primary key until the first commits.
      create function idempotency_claim(p_caller text, p_key text, p_hash text, p_now timestamptz, p_expires timestamptz,
                                        p_seal bytea,
                                        out claimed boolean, out request_hash text, out status_code integer, out response_body jsonb)
      language plpgsql ${DEFINER} as $$
      begin
        perform credentials_require_seal('idempotency:' || p_caller, p_seal);
        insert into idempotency_keys as k (caller, key, request_hash, created_at, expires_at)
        values (p_caller, p_key, p_hash, p_now, p_expires)
        on conflict (caller, key) do update set request_hash = excluded.request_hash, status_code = null,
          response_body = null, created_at = excluded.created_at, expires_at = excluded.expires_at
          where k.expires_at <= excluded.created_at;
        claimed := found;
        if not claimed then
          select k.request_hash, k.status_code, k.response_body into request_hash, status_code, response_body
            from idempotency_keys k where k.caller = p_caller and k.key = p_key;
        end if;
      end $$;

      create function idempotency_complete(p_caller text, p_key text, p_status integer, p_body jsonb, p_seal bytea)
      returns void language plpgsql ${DEFINER} as $$
      begin
        perform credentials_require_seal('idempotency:' || p_caller, p_seal);
        update idempotency_keys set status_code = p_status, response_body = p_body where caller = p_caller and key = p_key;
      end $$;

      -- Housekeeping (the worker, on the platform path): expired idempotency records, and sessions
      -- expired or revoked before p_ended_before.
      create function credentials_purge(p_now timestamptz, p_ended_before timestamptz,
                                        out idempotency_keys bigint, out sessions bigint)
      language plpgsql ${DEFINER} as $$
      begin
        delete from idempotency_keys k where k.expires_at <= p_now;
        get diagnostics idempotency_keys = row_count;
        delete from sessions s where s.expires_at <= p_now or s.revoked_at <= p_ended_before;
        get diagnostics sessions = row_count;
      end $$;
    `);

    const requestFunctions = [
      'auth_password_hash(text, bytea)',
      'auth_start_session(uuid, uuid, timestamptz, timestamptz, uuid, text, bytea)',
      'auth_session_caller(uuid, uuid, timestamptz)',
      'auth_refresh(text, uuid, text, timestamptz)',
      'auth_end_session(uuid, uuid, timestamptz, text)',
      'auth_change_password(uuid, uuid, text, timestamptz, bytea)',
      'idempotency_claim(text, text, text, timestamptz, timestamptz, bytea)',
      'idempotency_complete(text, text, integer, jsonb, bytea)',
    ];
    for (const fn of requestFunctions) {
      this.addSql(`
        alter function ${fn} owner to eshtarek_credentials;
        revoke all on function ${fn} from public;
        grant execute on function ${fn} to eshtarek_api;
      `);
    }
    this.addSql(`
      alter function credentials_purge(timestamptz, timestamptz) owner to eshtarek_credentials;
      revoke all on function credentials_purge(timestamptz, timestamptz) from public;
      grant execute on function credentials_purge(timestamptz, timestamptz) to eshtarek_platform;
      revoke all on function audit_actor() from public;
      alter function credentials_require_seal(text, bytea) owner to eshtarek_credentials;
      revoke all on function credentials_require_seal(text, bytea) from public;
    `);
  }
}
