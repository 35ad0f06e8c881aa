import { CALLER_FIELDS } from './caller.js';
import { kindOf, LIVE, planLimits } from './rules.js';
import { sqlFunction } from './sql-function.js';

/**
 * Every metric of the current period in one round trip (GET /v1/usage): the plan's limits in plan
 * order, then metrics in use that the plan does not limit. A first row with outcome <> 'ok' is a
 * refusal (revoked, suspended, no_subscription); a period with no metric to show is one row
 * without a metric.
 */
export const meterUsage = sqlFunction({
  name: 'meter_usage',
  parameters: Object.values(CALLER_FIELDS).map(([parameter, type]) => `${parameter} ${type}`),
  returns:
    'table (outcome text, metric_key text, metric_kind text, used_total bigint, limit_value bigint, ' +
    'enforcement_mode text, subscription uuid, period_from timestamptz, period_to timestamptz)',
  language: 'plpgsql',
  executeBy: ['eshtarek_api'],
  body: `
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
      select l.metric, l.limit_value, l.enforcement, l.ord from ${planLimits('v_limits', true)} l
    ), metrics as (
      select l.metric, l.limit_value, l.enforcement, l.ord from limited l
      union all
      select u.metric, null::bigint, null::text, 1000000 + row_number() over (order by u.metric)
        from (select c.metric from usage_counters c
               where c.tenant_id = p_tenant and c.subscription_id = v_subscription and c.period_start = v_period_from
              union
              select g.metric from usage_gauges g where g.tenant_id = p_tenant) u
       where u.metric not in (select l.metric from limited l)
    )
    select 'ok'::text, mt.metric, ${kindOf('mt.metric')}, meter_used(p_tenant, v_subscription, v_period_from, mt.metric),
           mt.limit_value, mt.enforcement, v_subscription, v_period_from, v_period_to
      from metrics mt
     order by mt.ord;
  if not found then
    -- Nothing limited and nothing in use: still name the subscription and its period.
    outcome := 'ok';
    subscription := v_subscription;
    period_from := v_period_from;
    period_to := v_period_to;
    return next;
  end if;
end
`,
});
