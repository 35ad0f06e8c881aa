import { CALLER_FIELDS, ENTER, type Caller } from './caller.js';
import { batchFunction, itemCall } from './item-call.js';
import { isBuiltIn, kindOf, LIVE, planLimits } from './rules.js';
import { sqlFunction } from './sql-function.js';

/** One entitlement question: what `meter_entitlement` takes (one item of `meter_entitlement_batch`). */
export interface EntitlementItem extends Caller {
  metric: string;
}

export const ENTITLEMENT_CALL = itemCall<EntitlementItem>({ ...CALLER_FIELDS, metric: ['p_metric', 'text'] });

const RESULT = [
  'outcome text',
  'metric_kind text',
  'used_total bigint',
  'limit_value bigint',
  'enforcement_mode text',
  'period_to timestamptz',
];

/** One metric's entitlement in one round trip. Outcomes: ok, no_subscription, unknown_metric, revoked, suspended. */
export const meterEntitlement = sqlFunction({
  name: 'meter_entitlement',
  parameters: [...ENTITLEMENT_CALL.parameters, ...RESULT.map((column) => `out ${column}`)],
  language: 'plpgsql',
  executeBy: ['eshtarek_api'],
  body: `
declare
  v_subscription uuid;
  v_period_from timestamptz;
  v_limited boolean;
begin${ENTER}
  select s.id, s.current_period_start, s.current_period_end, l.metric is not null, l.limit_value, l.enforcement
    into v_subscription, v_period_from, period_to, v_limited, limit_value, enforcement_mode
    from subscriptions s join plan_versions v on v.id = s.plan_version_id
    left join lateral (select * from ${planLimits('v.limits')} l where l.metric = p_metric limit 1) l on true
   where s.tenant_id = p_tenant and s.status in ${LIVE};
  if not found then
    outcome := 'no_subscription';
    return;
  end if;
  if not v_limited and not ${isBuiltIn('p_metric')} and not exists (select 1 from policies p where p.metric = p_metric) then
    outcome := 'unknown_metric';
    return;
  end if;
  metric_kind := ${kindOf('p_metric')};
  used_total := meter_used(p_tenant, v_subscription, v_period_from, p_metric);
  outcome := 'ok';
end
`,
});

/** Entitlement questions of one API process in one statement, like meter_record_batch. */
export const meterEntitlementBatch = batchFunction('meter_entitlement_batch', 'meter_entitlement', ENTITLEMENT_CALL, RESULT);
