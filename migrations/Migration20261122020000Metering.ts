import { Migration } from '@mikro-orm/migrations';
import { PLATFORM, TENANT_SETTING } from './Migration20261122000000Foundation.js';

const TENANT_TABLES = ['api_keys', 'usage_counters', 'usage_gauges', 'usage_events', 'notifications'];
const LIVE = `('trialing', 'active', 'past_due')`;

/**
 * Metering: tenant API keys, usage counters (one row per subscription × metric × period), gauges
 * (levels that do not reset, e.g. storage), the append-only usage event log, and notifications
 * (limit warnings, once per subscription × metric × period × threshold).
 *
 * The hot paths are plpgsql functions, so that a request is one round trip: each sets the tenant
 * with `set_config(…, true)` first (row-level security applies to everything after it), re-checks
 * the API key that authenticated the request (revocation works on the next request), and does its
 * work — recording usage is one conditional `UPDATE … WHERE used + n <= limit RETURNING`.
 */
export class Migration20261122020000Metering extends Migration {
  override up(): void {
    this.addSql(`
      create table api_keys (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        name text not null check (length(name) between 1 and 200),
        mode text not null check (mode in ('test', 'live')),
        -- Random, server-chosen lookup part of the key: globally unique, so the key is found before
        -- its tenant is known; being random it says nothing about other tenants.
        prefix text not null,
        -- SHA-256 of the whole key (the secret part has 256 bits of entropy, so a slow hash adds nothing).
        secret_hash bytea not null,
        last4 char(4) not null,
        created_by uuid,
        created_at timestamptz not null,
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid
      );
      create unique index api_keys_prefix_unique on api_keys (prefix);
      create index api_keys_tenant_idx on api_keys (tenant_id, created_at desc, id desc);

      -- Counter metrics (api_calls, custom keys): one row per subscription, metric and billing period.
      -- A renewal moves current_period_start, so the next write starts a fresh row.
      create table usage_counters (
        tenant_id uuid not null references tenants (id),
        subscription_id uuid not null references subscriptions (id),
        metric text not null,
        period_start timestamptz not null,
        used bigint not null check (used >= 0),
        updated_at timestamptz not null,
        primary key (tenant_id, subscription_id, metric, period_start)
      );

      -- Gauges set by the tenant (storage_mb): a current level, kept across periods and plans.
      create table usage_gauges (
        tenant_id uuid not null references tenants (id),
        metric text not null,
        value bigint not null check (value >= 0),
        updated_at timestamptz not null,
        primary key (tenant_id, metric)
      );

      -- Append-only log of accepted usage (insert and select only). No foreign keys: each would take
      -- a KEY SHARE lock on the tenant and subscription rows per insert, on the hottest path; the
      -- tenant and subscription come from the live subscription read in the same statement.
      create table usage_events (
        tenant_id uuid not null,
        id uuid not null, -- UUIDv7: inserts stay local in the B-tree as the table grows
        subscription_id uuid not null,
        metric text not null,
        operation text not null check (operation in ('increment', 'set')),
        quantity bigint not null check (quantity >= 0),
        occurred_at timestamptz not null,
        recorded_at timestamptz not null,
        period_start timestamptz not null,
        -- The answer given: the counter (or level) after this event and the limit then in force.
        used_after bigint not null,
        limit_at bigint,
        idempotency_key text,
        request_hash bytea,
        primary key (tenant_id, id)
      );
      create unique index usage_events_idempotency_unique on usage_events (tenant_id, idempotency_key)
        where idempotency_key is not null;
      -- History buckets: one index range per tenant and metric, read without visiting the table.
      create index usage_events_history_idx on usage_events (tenant_id, metric, occurred_at) include (quantity);
      -- Platform-wide totals by time range: a BRIN index costs next to nothing on insert.
      create index usage_events_occurred_brin on usage_events using brin (occurred_at);

      create table notifications (
        id uuid primary key,
        tenant_id uuid not null references tenants (id),
        kind text not null check (kind in ('limit_warning')),
        subscription_id uuid,
        metric text,
        period_start timestamptz,
        threshold integer,
        used bigint,
        "limit" bigint,
        message text not null,
        created_at timestamptz not null
      );
      create index notifications_tenant_idx on notifications (tenant_id, created_at desc, id desc);
      -- One warning per subscription × metric × period × threshold, whatever runs twice.
      create unique index notifications_limit_warning_once
        on notifications (tenant_id, subscription_id, metric, period_start, threshold) where kind = 'limit_warning';
    `);

    this.addSql(`
      grant select, insert, update on api_keys, usage_counters, usage_gauges to eshtarek_api, eshtarek_platform;
      grant select, insert on usage_events, notifications to eshtarek_api, eshtarek_platform;
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

    // API key lookup before the tenant is known: the one narrow cross-tenant path of authentication.
    // It runs as eshtarek_platform (security definer) and returns a key only for its exact prefix
    // and hash, and only while it is not revoked.
    this.addSql(`
      create function api_key_authenticate(p_prefix text, p_hash bytea)
      returns table (key_id uuid, key_tenant uuid, key_mode text)
      language sql stable security definer set search_path = public, pg_temp as $$
        select k.id, k.tenant_id, k.mode from api_keys k
         where k.prefix = p_prefix and k.secret_hash = p_hash and k.revoked_at is null
      $$;
      alter function api_key_authenticate(text, bytea) owner to eshtarek_platform;
      revoke all on function api_key_authenticate(text, bytea) from public;
      grant execute on function api_key_authenticate(text, bytea) to eshtarek_api;
    `);

    // Enters the tenant of a request authenticated by an API key and re-checks the key there:
    // 'ok', 'revoked' (or unknown) or 'suspended'. last_used_at is written when the caller asks
    // (at most once a minute per process) and only if a minute has passed, never waiting on a lock.
    this.addSql(`
      create function api_key_enter(p_tenant uuid, p_key uuid, p_touch boolean, p_now timestamptz)
      returns text language plpgsql as $$
      declare
        v_status text;
      begin
        perform set_config('app.tenant_id', p_tenant::text, true);
        select case when k.revoked_at is not null then 'revoked' when t.status = 'suspended' then 'suspended' else 'ok' end
          into v_status
          from api_keys k join tenants t on t.id = k.tenant_id
         where k.tenant_id = p_tenant and k.id = p_key;
        if v_status is null then
          return 'revoked';
        end if;
        if v_status = 'ok' and p_touch then
          update api_keys k set last_used_at = p_now
           where k.id = (select k2.id from api_keys k2
                          where k2.tenant_id = p_tenant and k2.id = p_key
                            and (k2.last_used_at is null or k2.last_used_at < p_now - interval '1 minute')
                            for update skip locked);
        end if;
        return v_status;
      end $$;
    `);

    // Records usage in one round trip. Outcomes: recorded, replayed, key_reused, limit_exceeded,
    // no_subscription, unknown_metric, revoked, suspended.
    this.addSql(`
      create function meter_record(
        p_tenant uuid, p_api_key uuid, p_touch boolean, p_real_now timestamptz,
        p_metric text, p_gauge boolean, p_builtin boolean, p_operation text, p_quantity bigint,
        p_occurred_at timestamptz, p_idempotency_key text, p_request_hash bytea, p_event_id uuid,
        out outcome text, out used_total bigint, out used_before bigint, out limit_value bigint,
        out enforcement_mode text, out subscription uuid, out period_from timestamptz, out period_to timestamptz,
        out warning_thresholds integer[])
      language plpgsql as $$
      declare
        v_limit jsonb;
        v_hard bigint;
        v_hash bytea;
      begin
        if p_api_key is null then
          perform set_config('app.tenant_id', p_tenant::text, true);
        else
          outcome := api_key_enter(p_tenant, p_api_key, p_touch, p_real_now);
          if outcome <> 'ok' then return; end if;
        end if;

        -- A key seen before: the first answer again (or a refusal of another body); nothing counted.
        if p_idempotency_key is not null then
          select e.used_after, e.limit_at, e.request_hash into used_total, limit_value, v_hash
            from usage_events e where e.tenant_id = p_tenant and e.idempotency_key = p_idempotency_key;
          if found then
            outcome := case when v_hash = p_request_hash then 'replayed' else 'key_reused' end;
            return;
          end if;
        end if;

        select s.id, s.current_period_start, s.current_period_end,
               (select x from jsonb_array_elements(v.limits) x where x->>'metric' = p_metric limit 1)
          into subscription, period_from, period_to, v_limit
          from subscriptions s join plan_versions v on v.id = s.plan_version_id
         where s.tenant_id = p_tenant and s.status in ${LIVE};
        if not found then
          outcome := 'no_subscription';
          return;
        end if;
        if v_limit is null then
          -- Not limited by the plan: counted without a limit if the platform knows the metric.
          if not p_builtin and not exists (select 1 from policies p where p.metric = p_metric) then
            outcome := 'unknown_metric';
            return;
          end if;
        else
          limit_value := (v_limit->>'limit')::bigint;
          enforcement_mode := v_limit->>'enforcement';
          warning_thresholds := array(select t::integer from jsonb_array_elements_text(v_limit->'warningThresholds') t);
          if enforcement_mode = 'hard' then
            v_hard := limit_value;
          end if;
        end if;

        for attempt in 1..2 loop
          if p_gauge then
            -- A level: 'set' replaces it, 'increment' adds; a change that raises it must stay within a hard limit.
            with old as (
              select g.value from usage_gauges g where g.tenant_id = p_tenant and g.metric = p_metric for update
            )
            update usage_gauges g
               set value = case when p_operation = 'set' then p_quantity else old.value + p_quantity end, updated_at = p_real_now
              from old
             where g.tenant_id = p_tenant and g.metric = p_metric
               and (v_hard is null
                    or (case when p_operation = 'set' then p_quantity else old.value + p_quantity end) <= greatest(v_hard, old.value))
            returning old.value, g.value into used_before, used_total;
          else
            -- The counter of this period: one conditional UPDATE; zero rows means refused.
            update usage_counters c set used = c.used + p_quantity, updated_at = p_real_now
             where c.tenant_id = p_tenant and c.subscription_id = subscription and c.metric = p_metric
               and c.period_start = period_from and (v_hard is null or c.used + p_quantity <= v_hard)
            returning c.used - p_quantity, c.used into used_before, used_total;
          end if;
          exit when found or attempt = 2;
          -- No row yet (first use): create it at zero and try once more; if it existed, the limit refused.
          if p_gauge then
            insert into usage_gauges (tenant_id, metric, value, updated_at)
            values (p_tenant, p_metric, 0, p_real_now) on conflict do nothing;
          else
            insert into usage_counters (tenant_id, subscription_id, metric, period_start, used, updated_at)
            values (p_tenant, subscription, p_metric, period_from, 0, p_real_now) on conflict do nothing;
          end if;
          exit when not found;
        end loop;

        if used_total is null then
          -- Refused. A concurrent request with the same key may have committed meanwhile: answer as it did.
          if p_idempotency_key is not null then
            select e.used_after, e.limit_at, e.request_hash into used_total, limit_value, v_hash
              from usage_events e where e.tenant_id = p_tenant and e.idempotency_key = p_idempotency_key;
            if found then
              outcome := case when v_hash = p_request_hash then 'replayed' else 'key_reused' end;
              return;
            end if;
          end if;
          if p_gauge then
            select g.value into used_total from usage_gauges g where g.tenant_id = p_tenant and g.metric = p_metric;
          else
            select c.used into used_total from usage_counters c
             where c.tenant_id = p_tenant and c.subscription_id = subscription and c.metric = p_metric and c.period_start = period_from;
          end if;
          used_total := coalesce(used_total, 0);
          outcome := 'limit_exceeded';
          return;
        end if;

        if p_idempotency_key is null then
          insert into usage_events (tenant_id, id, subscription_id, metric, operation, quantity, occurred_at, recorded_at,
                                    period_start, used_after, limit_at)
          values (p_tenant, p_event_id, subscription, p_metric, p_operation, p_quantity, p_occurred_at, p_real_now,
                  period_from, used_total, limit_value);
        else
          insert into usage_events (tenant_id, id, subscription_id, metric, operation, quantity, occurred_at, recorded_at,
                                    period_start, used_after, limit_at, idempotency_key, request_hash)
          values (p_tenant, p_event_id, subscription, p_metric, p_operation, p_quantity, p_occurred_at, p_real_now,
                  period_from, used_total, limit_value, p_idempotency_key, p_request_hash)
          on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing;
          if not found then
            -- A concurrent request with the same key committed first: undo this change (the row lock is
            -- still ours, so nobody saw it) and answer as that request did.
            if p_gauge then
              update usage_gauges g set value = used_before where g.tenant_id = p_tenant and g.metric = p_metric;
            else
              update usage_counters c set used = c.used - p_quantity
               where c.tenant_id = p_tenant and c.subscription_id = subscription and c.metric = p_metric and c.period_start = period_from;
            end if;
            select e.used_after, e.limit_at, e.request_hash into used_total, limit_value, v_hash
              from usage_events e where e.tenant_id = p_tenant and e.idempotency_key = p_idempotency_key;
            outcome := case when v_hash = p_request_hash then 'replayed' else 'key_reused' end;
            return;
          end if;
        end if;
        outcome := 'recorded';
      end $$;
    `);

    // One metric's entitlement in one round trip. Outcomes: ok, no_subscription, unknown_metric,
    // revoked, suspended.
    this.addSql(`
      create function meter_entitlement(
        p_tenant uuid, p_api_key uuid, p_touch boolean, p_real_now timestamptz,
        p_metric text, p_kind text, p_builtin boolean,
        out outcome text, out metric_kind text, out used_total bigint, out limit_value bigint,
        out enforcement_mode text, out period_to timestamptz)
      language plpgsql as $$
      declare
        v_subscription uuid;
        v_period_from timestamptz;
        v_limit jsonb;
      begin
        if p_api_key is null then
          perform set_config('app.tenant_id', p_tenant::text, true);
        else
          outcome := api_key_enter(p_tenant, p_api_key, p_touch, p_real_now);
          if outcome <> 'ok' then return; end if;
        end if;
        select s.id, s.current_period_start, s.current_period_end,
               (select x from jsonb_array_elements(v.limits) x where x->>'metric' = p_metric limit 1)
          into v_subscription, v_period_from, period_to, v_limit
          from subscriptions s join plan_versions v on v.id = s.plan_version_id
         where s.tenant_id = p_tenant and s.status in ${LIVE};
        if not found then
          outcome := 'no_subscription';
          return;
        end if;
        if v_limit is null and not p_builtin and not exists (select 1 from policies p where p.metric = p_metric) then
          outcome := 'unknown_metric';
          return;
        end if;
        metric_kind := coalesce(v_limit->>'kind', p_kind);
        limit_value := (v_limit->>'limit')::bigint;
        enforcement_mode := v_limit->>'enforcement';
        if p_metric = 'max_users' then
          select count(*) into used_total from memberships m where m.tenant_id = p_tenant;
        elsif metric_kind = 'gauge' then
          select g.value into used_total from usage_gauges g where g.tenant_id = p_tenant and g.metric = p_metric;
        else
          select c.used into used_total from usage_counters c
           where c.tenant_id = p_tenant and c.subscription_id = v_subscription and c.metric = p_metric and c.period_start = v_period_from;
        end if;
        used_total := coalesce(used_total, 0);
        outcome := 'ok';
      end $$;
    `);

    // Every metric of the current period in one round trip: the plan's limits in plan order, then
    // metrics in use that the plan does not limit. A first row with outcome <> 'ok' is a refusal.
    this.addSql(`
      create function meter_usage(p_tenant uuid, p_api_key uuid, p_touch boolean, p_real_now timestamptz)
      returns table (outcome text, metric_key text, metric_kind text, used_total bigint, limit_value bigint,
                     enforcement_mode text, subscription uuid, period_from timestamptz, period_to timestamptz)
      language plpgsql as $$
      declare
        v_status text := 'ok';
        v_subscription uuid;
        v_period_from timestamptz;
        v_period_to timestamptz;
        v_limits jsonb;
      begin
        if p_api_key is null then
          perform set_config('app.tenant_id', p_tenant::text, true);
        else
          v_status := api_key_enter(p_tenant, p_api_key, p_touch, p_real_now);
        end if;
        if v_status = 'ok' then
          select s.id, s.current_period_start, s.current_period_end, v.limits
            into v_subscription, v_period_from, v_period_to, v_limits
            from subscriptions s join plan_versions v on v.id = s.plan_version_id
           where s.tenant_id = p_tenant and s.status in ${LIVE};
          if not found then
            v_status := 'no_subscription';
          end if;
        end if;
        if v_status <> 'ok' then
          outcome := v_status;
          return next;
          return;
        end if;
        return query
          with limited as (
            select l.x->>'metric' as m, l.x->>'kind' as k, (l.x->>'limit')::bigint as lim, l.x->>'enforcement' as enf, l.ord
              from jsonb_array_elements(v_limits) with ordinality as l(x, ord)
          ), unlimited as (
            select c.metric as m, 'counter'::text as k from usage_counters c
             where c.tenant_id = p_tenant and c.subscription_id = v_subscription and c.period_start = v_period_from
            union
            select g.metric, 'gauge'::text from usage_gauges g where g.tenant_id = p_tenant
          ), metrics as (
            select l.m, l.k, l.lim, l.enf, l.ord from limited l
            union all
            select u.m, u.k, null::bigint, null::text, 1000000 + row_number() over (order by u.m)
              from unlimited u where u.m not in (select l.m from limited l)
          )
          select 'ok'::text, mt.m, mt.k,
                 coalesce(case
                   when mt.m = 'max_users' then (select count(*) from memberships ms where ms.tenant_id = p_tenant)
                   when mt.k = 'gauge' then (select g.value from usage_gauges g where g.tenant_id = p_tenant and g.metric = mt.m)
                   else (select c.used from usage_counters c
                          where c.tenant_id = p_tenant and c.subscription_id = v_subscription and c.metric = mt.m
                            and c.period_start = v_period_from)
                 end, 0)::bigint,
                 mt.lim, mt.enf, v_subscription, v_period_from, v_period_to
            from metrics mt order by mt.ord;
        if not found then
          -- Nothing limited and nothing in use: still name the subscription and its period.
          outcome := 'ok';
          subscription := v_subscription;
          period_from := v_period_from;
          period_to := v_period_to;
          return next;
        end if;
      end $$;
    `);

    // Batches: concurrent requests of one API process coalesced into one statement (one round
    // trip, one transaction, one commit), each item handled by the function above, in order.
    this.addSql(`
      create function meter_record_batch(
        p_tenant uuid[], p_api_key uuid[], p_touch boolean[], p_real_now timestamptz,
        p_metric text[], p_gauge boolean[], p_builtin boolean[], p_operation text[], p_quantity bigint[],
        p_occurred_at timestamptz[], p_idempotency_key text[], p_request_hash bytea[], p_event_id uuid[])
      returns table (outcome text, used_total bigint, used_before bigint, limit_value bigint, enforcement_mode text,
                     subscription uuid, period_from timestamptz, period_to timestamptz, warning_thresholds integer[])
      language plpgsql as $$
      begin
        for i in 1 .. coalesce(array_length(p_tenant, 1), 0) loop
          return query select * from meter_record(p_tenant[i], p_api_key[i], p_touch[i], p_real_now, p_metric[i], p_gauge[i],
            p_builtin[i], p_operation[i], p_quantity[i], p_occurred_at[i], p_idempotency_key[i], p_request_hash[i], p_event_id[i]);
        end loop;
      end $$;

      create function meter_entitlement_batch(
        p_tenant uuid[], p_api_key uuid[], p_touch boolean[], p_real_now timestamptz,
        p_metric text[], p_kind text[], p_builtin boolean[])
      returns table (outcome text, metric_kind text, used_total bigint, limit_value bigint, enforcement_mode text, period_to timestamptz)
      language plpgsql as $$
      begin
        for i in 1 .. coalesce(array_length(p_tenant, 1), 0) loop
          return query select * from meter_entitlement(p_tenant[i], p_api_key[i], p_touch[i], p_real_now, p_metric[i], p_kind[i], p_builtin[i]);
        end loop;
      end $$;
    `);

    this.addSql(`
      revoke all on function meter_record_batch(uuid[], uuid[], boolean[], timestamptz, text[], boolean[], boolean[], text[], bigint[], timestamptz[], text[], bytea[], uuid[]) from public;
      revoke all on function meter_entitlement_batch(uuid[], uuid[], boolean[], timestamptz, text[], text[], boolean[]) from public;
      grant execute on function meter_record_batch(uuid[], uuid[], boolean[], timestamptz, text[], boolean[], boolean[], text[], bigint[], timestamptz[], text[], bytea[], uuid[]) to eshtarek_api;
      grant execute on function meter_entitlement_batch(uuid[], uuid[], boolean[], timestamptz, text[], text[], boolean[]) to eshtarek_api;
      revoke all on function api_key_enter(uuid, uuid, boolean, timestamptz) from public;
      revoke all on function meter_record(uuid, uuid, boolean, timestamptz, text, boolean, boolean, text, bigint, timestamptz, text, bytea, uuid) from public;
      revoke all on function meter_entitlement(uuid, uuid, boolean, timestamptz, text, text, boolean) from public;
      revoke all on function meter_usage(uuid, uuid, boolean, timestamptz) from public;
      grant execute on function api_key_enter(uuid, uuid, boolean, timestamptz) to eshtarek_api;
      grant execute on function meter_record(uuid, uuid, boolean, timestamptz, text, boolean, boolean, text, bigint, timestamptz, text, bytea, uuid) to eshtarek_api;
      grant execute on function meter_entitlement(uuid, uuid, boolean, timestamptz, text, text, boolean) to eshtarek_api;
      grant execute on function meter_usage(uuid, uuid, boolean, timestamptz) to eshtarek_api;
    `);
  }
}
