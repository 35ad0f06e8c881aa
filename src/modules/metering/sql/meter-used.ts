import { isGauge, MEMBERS } from './rules.js';
import { sqlFunction } from './sql-function.js';

/**
 * A metric's use now: the member count for the membership gauge, a gauge's level, a counter's
 * value in the subscription's period starting at `p_period_start` (no subscription: 0); 0 when
 * nothing was used. The one definition of "used" behind the entitlements, GET /v1/usage and
 * GET /v1/subscription. Runs in the caller's tenant (the caller entered it; row-level security
 * applies). One metric per call: plpgsql runs only the one query that metric needs.
 */
export const meterUsed = sqlFunction({
  name: 'meter_used',
  parameters: ['p_tenant uuid', 'p_subscription uuid', 'p_period_start timestamptz', 'p_metric text'],
  returns: 'bigint',
  language: 'plpgsql',
  volatility: 'stable',
  executeBy: ['eshtarek_api'],
  body: `
begin
  if p_metric = ${MEMBERS} then
    return (select count(*) from memberships ms where ms.tenant_id = p_tenant);
  elsif ${isGauge('p_metric')} then
    return coalesce((select g.value from usage_gauges g where g.tenant_id = p_tenant and g.metric = p_metric), 0);
  end if;
  return coalesce((select c.used from usage_counters c
                    where c.tenant_id = p_tenant and c.subscription_id = p_subscription and c.metric = p_metric
                      and c.period_start = p_period_start), 0);
end
`,
});
