import { CALLER_FIELDS, ENTER, type Caller } from './caller.js';
import { batchFunction, itemCall } from './item-call.js';
import { isBuiltIn, isGauge, LIVE, planLimits } from './rules.js';
import { sqlFunction } from './sql-function.js';

/** One usage report: what `meter_record` takes (one item of `meter_record_batch`). */
export interface RecordItem extends Caller {
  metric: string;
  operation: 'increment' | 'set';
  /** The increment, or the level to set. */
  amount: number;
  occurredAt: Date;
  idempotencyKey: string | null;
  requestHash: Buffer | null;
  eventId: string;
}

export const RECORD_CALL = itemCall<RecordItem>({
  ...CALLER_FIELDS,
  metric: ['p_metric', 'text'],
  operation: ['p_operation', 'text'],
  amount: ['p_quantity', 'bigint'],
  occurredAt: ['p_occurred_at', 'timestamptz'],
  idempotencyKey: ['p_idempotency_key', 'text'],
  requestHash: ['p_request_hash', 'bytea'],
  eventId: ['p_event_id', 'uuid'],
});

const RESULT = [
  'outcome text',
  'used_total bigint',
  'used_before bigint',
  'limit_value bigint',
  'enforcement_mode text',
  'subscription uuid',
  'period_from timestamptz',
  'period_to timestamptz',
  'warning_thresholds integer[]',
];

/**
 * The answer to a key seen before: the first report's answer again (or a refusal of another body),
 * nothing counted. Read into a variable of its own: a key not seen leaves the answer as it is.
 */
const answerAsFirst = (indent: string) =>
  [
    'select e.used_after, e.limit_at, e.request_hash into v_first',
    '  from usage_events e where e.tenant_id = p_tenant and e.idempotency_key = p_idempotency_key;',
    'if found then',
    '  used_total := v_first.used_after;',
    '  limit_value := v_first.limit_at;',
    "  outcome := case when v_first.request_hash = p_request_hash then 'replayed' else 'key_reused' end;",
    '  return;',
    'end if;',
  ]
    .map((line) => `\n${indent}${line}`)
    .join('');

/**
 * Records usage in one round trip. Outcomes: recorded, replayed, key_reused, limit_exceeded,
 * no_subscription, unknown_metric, revoked, suspended. Recording is one conditional
 * `UPDATE … WHERE used + n <= limit RETURNING` of the period's counter (or the tenant's gauge)
 * plus one event row; a hard limit refuses, a soft one counts on.
 */
export const meterRecord = sqlFunction({
  name: 'meter_record',
  parameters: [...RECORD_CALL.parameters, ...RESULT.map((column) => `out ${column}`)],
  language: 'plpgsql',
  executeBy: ['eshtarek_api'],
  body: `
declare
  v_gauge boolean := ${isGauge('p_metric')};
  v_limited boolean;
  v_hard bigint;
  v_first record;
begin${ENTER}

  -- A key seen before: the first answer again (or a refusal of another body); nothing counted.
  if p_idempotency_key is not null then${answerAsFirst('    ')}
  end if;

  select s.id, s.current_period_start, s.current_period_end,
         l.metric is not null, l.limit_value, l.enforcement, l.warning_thresholds
    into subscription, period_from, period_to, v_limited, limit_value, enforcement_mode, warning_thresholds
    from subscriptions s join plan_versions v on v.id = s.plan_version_id
    left join lateral (select * from ${planLimits('v.limits')} l where l.metric = p_metric limit 1) l on true
   where s.tenant_id = p_tenant and s.status in ${LIVE};
  if not found then
    outcome := 'no_subscription';
    return;
  end if;
  -- Not limited by the plan: counted without a limit if the platform knows the metric.
  if not v_limited and not ${isBuiltIn('p_metric')} and not exists (select 1 from policies p where p.metric = p_metric) then
    outcome := 'unknown_metric';
    return;
  end if;
  if enforcement_mode = 'hard' then
    v_hard := limit_value;
  end if;

  for attempt in 1..2 loop
    if v_gauge then
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
    -- No row seen (first use, or created meanwhile by a concurrent first use): make sure it exists,
    -- then the UPDATE decides once more.
    if v_gauge then
      insert into usage_gauges (tenant_id, metric, value, updated_at)
      values (p_tenant, p_metric, 0, p_real_now) on conflict do nothing;
    else
      insert into usage_counters (tenant_id, subscription_id, metric, period_start, used, updated_at)
      values (p_tenant, subscription, p_metric, period_from, 0, p_real_now) on conflict do nothing;
    end if;
  end loop;

  if used_total is null then
    -- Refused. A concurrent request with the same key may have committed meanwhile: answer as it did.
    if p_idempotency_key is not null then${answerAsFirst('      ')}
    end if;
    if v_gauge then
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
      if v_gauge then
        update usage_gauges g set value = used_before where g.tenant_id = p_tenant and g.metric = p_metric;
      else
        update usage_counters c set used = c.used - p_quantity
         where c.tenant_id = p_tenant and c.subscription_id = subscription and c.metric = p_metric and c.period_start = period_from;
      end if;${answerAsFirst('      ')}
      raise exception 'usage event of idempotency key % not found after a conflict on it', p_idempotency_key;
    end if;
  end if;
  outcome := 'recorded';
end
`,
});

/**
 * Concurrent reports of one API process coalesced into one statement (one round trip, one
 * transaction, one commit): `p_items` is a jsonb array of RecordItem, each recorded by
 * meter_record in order; one row per item, in order.
 */
export const meterRecordBatch = batchFunction('meter_record_batch', 'meter_record', RECORD_CALL, RESULT);
