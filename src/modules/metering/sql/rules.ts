/**
 * The rules the metering functions share, written into their SQL from the TypeScript constants
 * that define them (so there is no second copy to keep in step): which subscriptions are live, the
 * kind of a metric, which metrics are built in, the gauge that follows membership, and the keys of
 * a plan version's limits. Changing one of them changes the generated definitions, and the check
 * (`npm run check:sql`) then asks for a migration that applies them.
 */
import { BUILT_IN_METRICS } from '../../policies/metrics.rules.js';
import type { PlanLimit } from '../../plans/plan-terms.rules.js';
import { LIVE_STATUSES } from '../../subscriptions/subscription-state.rules.js';
import { MEMBERSHIP_GAUGE } from '../usage.rules.js';

export const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const list = (values: readonly string[]): string => `(${values.map(literal).join(', ')})`;
const GAUGES = Object.keys(BUILT_IN_METRICS).filter((metric) => BUILT_IN_METRICS[metric] === 'gauge');

/** `s.status in ${LIVE}`: the statuses of a subscription that meters (subscription-state.ts). */
export const LIVE = list(LIVE_STATUSES);

/** Whether a metric is a gauge (metrics.rules.ts `kindOf`: built-in gauges; every other metric counts). */
export const isGauge = (metric: string): string => `(${metric} in ${list(GAUGES)})`;

/** A metric's kind, 'gauge' or 'counter' (metrics.rules.ts `kindOf`). */
export const kindOf = (metric: string): string => `case when ${isGauge(metric)} then 'gauge' else 'counter' end`;

/** Built-in metrics are known without a policy naming them (metrics.rules.ts `BUILT_IN_METRICS`). */
export const isBuiltIn = (metric: string): string => `(${metric} in ${list(Object.keys(BUILT_IN_METRICS))})`;

/** The gauge whose level is the tenant's member count (usage.rules.ts). */
export const MEMBERS = literal(MEMBERSHIP_GAUGE);

/**
 * The keys of a plan version's `limits` (a jsonb array of PlanLimit) that metering reads, with
 * the column each becomes. Checked against PlanLimit: renaming a key there fails to compile here.
 */
const PLAN_LIMIT_COLUMNS = {
  metric: ['metric', 'text'],
  limit: ['limit_value', 'bigint'],
  enforcement: ['enforcement', 'text'],
  warningThresholds: ['warning_thresholds', 'integer[]'],
} as const satisfies { [K in keyof PlanLimit]?: readonly [column: string, type: string] };

const ident = (name: string): string => `"${name}"`;
const keys = Object.keys(PLAN_LIMIT_COLUMNS) as (keyof typeof PLAN_LIMIT_COLUMNS)[];

/**
 * A plan version's limits as typed rows (metric, limit_value, enforcement, warning_thresholds,
 * and with `ordered` their position, ord), for a FROM clause: `from ${planLimits('v.limits')} l`.
 */
export function planLimits(limits: string, ordered = false): string {
  const definitions = keys.map((key) => `${ident(key)} ${PLAN_LIMIT_COLUMNS[key][1]}`).join(', ');
  const columns = keys.map((key) => `x.${ident(key)} as ${PLAN_LIMIT_COLUMNS[key][0]}`).join(', ');
  return ordered
    ? `(select ${columns}, x.ord from rows from (jsonb_to_recordset(${limits}) as (${definitions})) with ordinality as x(${keys.map(ident).join(', ')}, ord))`
    : `(select ${columns} from jsonb_to_recordset(${limits}) as x(${definitions}))`;
}
