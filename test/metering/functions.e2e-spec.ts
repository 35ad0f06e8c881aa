import type { PlanDto } from '../../sdk/index.js';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  ENTITLEMENT_BATCH,
  ENTITLEMENT_ONE,
  entitlementBatchValues,
  type EntitlementItem,
  entitlementValues,
  RECORD_BATCH,
  RECORD_ONE,
  recordBatchValues,
  type RecordItem,
  recordValues,
} from '../../src/modules/metering/usage.repository.js';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { createApiKey, createPlatformAdmin, createPolicy, createTenantWithAdmin } from '../support/factories.js';
import { eventCount, meteredPlan, meteredTenant } from './support.js';

/**
 * The metering functions themselves, called as the API's role with the application's own calling
 * convention (usage.service.ts): one row per outcome of each.
 */
describe('metering functions, as the API role', () => {
  let t: TestApp;
  let api: pg.Client;
  /** api_calls hard 5, storage_mb hard 100, emails_sent soft 2 (warnings at 50 and 100 %). */
  let limited: PlanDto;
  /** A plan that limits nothing. */
  let unlimited: PlanDto;
  const tenants = {} as Record<'unsubscribed' | 'suspended' | 'revoked', Who>;

  interface Who {
    tenantId: string;
    keyId: string;
    subscription: { id: string; currentPeriodStart: string; currentPeriodEnd: string } | null;
  }
  type TenantKind = 'limited' | 'unlimited' | keyof typeof tenants;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = (await createPlatformAdmin(t)).token;
    limited = await meteredPlan(t, admin, [
      { metric: 'api_calls', limit: 5 },
      { metric: 'storage_mb', limit: 100 },
      { metric: 'emails_sent', limit: 2, enforcement: 'soft', warningThresholds: [50, 100] },
    ]);
    unlimited = await meteredPlan(t, admin, []);
    // Known to the platform (a policy names it), limited by neither plan.
    await createPolicy(t.api, admin, 'known_custom', 10);

    const unsubscribed = await createTenantWithAdmin(t.api, 'Unsubscribed');
    tenants.unsubscribed = { ...unsubscribed, keyId: (await createApiKey(t.api, unsubscribed)).id, subscription: null };
    tenants.suspended = await meteredTenant(t, limited.id, 'Suspended');
    await ownerQuery(t, `update tenants set status = 'suspended' where id = $1`, [tenants.suspended.tenantId]);
    tenants.revoked = await meteredTenant(t, limited.id, 'Revoked');
    await ownerQuery(t, 'update api_keys set revoked_at = now() where id = $1', [tenants.revoked.keyId]);

    api = new pg.Client({ connectionString: t.appUrl });
    await api.connect();
  });
  afterAll(async () => {
    await api?.end();
    await t.close();
  });

  /** A tenant of the kind: a new one subscribed to `limited` or `unlimited`, or one of the shared refusing ones. */
  const tenantOf = async (kind: TenantKind): Promise<Who> =>
    kind === 'limited' || kind === 'unlimited' ? meteredTenant(t, (kind === 'limited' ? limited : unlimited).id) : tenants[kind];

  const caller = (who: Who, jwt = false) => ({ tenantId: who.tenantId, apiKeyId: jwt ? null : who.keyId, touch: false });
  const hash = (body: string) => createHash('sha256').update(body).digest();
  const num = (value: string | null) => (value === null ? null : Number(value));

  type Write = Partial<Pick<RecordItem, 'operation' | 'amount' | 'idempotencyKey' | 'requestHash'>> & { metric: string };

  async function record(who: Who, write: Write, jwt = false) {
    const item: RecordItem = {
      ...caller(who, jwt),
      operation: 'increment',
      amount: 1,
      occurredAt: new Date(),
      idempotencyKey: null,
      requestHash: null,
      eventId: uuidv7(),
      ...write,
    };
    const { rows } = await api.query({ text: RECORD_ONE.text, values: recordValues(item, new Date()) });
    return recordAnswer(rows[0]);
  }

  const recordAnswer = (row: any) => ({
    ...row,
    used_total: num(row.used_total),
    used_before: num(row.used_before),
    limit_value: num(row.limit_value),
  });

  async function entitlement(who: Who, metric: string, jwt = false) {
    const item: EntitlementItem = { ...caller(who, jwt), metric };
    const { rows } = await api.query({ text: ENTITLEMENT_ONE.text, values: entitlementValues(item, new Date()) });
    return entitlementAnswer(rows[0]);
  }

  const entitlementAnswer = (row: any) => ({ ...row, used_total: num(row.used_total), limit_value: num(row.limit_value) });

  async function usage(who: Who, jwt = false) {
    const { rows } = await api.query('select * from meter_usage($1, $2, $3, $4)', [
      who.tenantId,
      jwt ? null : who.keyId,
      false,
      new Date(),
    ]);
    return rows.map((row) => ({ ...row, used_total: num(row.used_total), limit_value: num(row.limit_value) }));
  }

  /** Storage set by the owner, e.g. above a limit lowered since (a downgrade). */
  const setStorage = (who: Who, value: number) =>
    ownerQuery(t, `insert into usage_gauges (tenant_id, metric, value, updated_at) values ($1, 'storage_mb', $2, now())`, [
      who.tenantId,
      value,
    ]);

  interface RecordCase {
    tenant?: TenantKind;
    /** Without an API key (a signed-in caller). */
    jwt?: boolean;
    storage?: number;
    before?: Write[];
    write: Write;
    answer: Record<string, unknown>;
    /** The tenant's usage events afterwards. */
    events: number;
  }

  const recordCases: [string, RecordCase][] = [
    [
      'recorded: a counter within its hard limit',
      {
        write: { metric: 'api_calls', amount: 3 },
        answer: {
          outcome: 'recorded',
          used_total: 3,
          used_before: 0,
          limit_value: 5,
          enforcement_mode: 'hard',
          warning_thresholds: [80, 100],
        },
        events: 1,
      },
    ],
    [
      'recorded: a counter up to its hard limit exactly',
      {
        before: [{ metric: 'api_calls', amount: 3 }],
        write: { metric: 'api_calls', amount: 2 },
        answer: { outcome: 'recorded', used_total: 5, used_before: 3, limit_value: 5 },
        events: 2,
      },
    ],
    [
      'limit_exceeded: beyond a hard limit, nothing counted',
      {
        before: [{ metric: 'api_calls', amount: 4 }],
        write: { metric: 'api_calls', amount: 2 },
        answer: { outcome: 'limit_exceeded', used_total: 4, limit_value: 5, enforcement_mode: 'hard' },
        events: 1,
      },
    ],
    [
      'limit_exceeded: a report with an idempotency key not seen before, beyond a hard limit',
      {
        before: [{ metric: 'api_calls', amount: 5 }],
        write: { metric: 'api_calls', idempotencyKey: 'k-2', requestHash: hash('c') },
        answer: { outcome: 'limit_exceeded', used_total: 5, limit_value: 5, enforcement_mode: 'hard' },
        events: 1,
      },
    ],
    [
      'recorded: over a soft limit (the API adds its warning)',
      {
        before: [{ metric: 'emails_sent', amount: 2 }],
        write: { metric: 'emails_sent' },
        answer: {
          outcome: 'recorded',
          used_total: 3,
          used_before: 2,
          limit_value: 2,
          enforcement_mode: 'soft',
          warning_thresholds: [50, 100],
        },
        events: 2,
      },
    ],
    [
      'recorded without a limit: a metric the platform knows, not in the plan',
      {
        write: { metric: 'known_custom', amount: 4 },
        answer: { outcome: 'recorded', used_total: 4, limit_value: null, enforcement_mode: null, warning_thresholds: null },
        events: 1,
      },
    ],
    [
      'recorded without a limit: a built-in metric the plan does not limit',
      {
        tenant: 'unlimited',
        write: { metric: 'api_calls' },
        answer: { outcome: 'recorded', used_total: 1, limit_value: null, enforcement_mode: null },
        events: 1,
      },
    ],
    [
      'unknown_metric: neither in the plan nor known to the platform',
      { write: { metric: 'never_defined' }, answer: { outcome: 'unknown_metric', used_total: null }, events: 0 },
    ],
    [
      'no_subscription',
      { tenant: 'unsubscribed', write: { metric: 'api_calls' }, answer: { outcome: 'no_subscription' }, events: 0 },
    ],
    ['suspended', { tenant: 'suspended', write: { metric: 'api_calls' }, answer: { outcome: 'suspended' }, events: 0 }],
    ['revoked (the key)', { tenant: 'revoked', write: { metric: 'api_calls' }, answer: { outcome: 'revoked' }, events: 0 }],
    [
      'recorded without an API key (a signed-in caller)',
      { jwt: true, write: { metric: 'api_calls' }, answer: { outcome: 'recorded', used_total: 1 }, events: 1 },
    ],
    [
      'replayed: the same idempotency key and body again, nothing counted',
      {
        before: [{ metric: 'api_calls', amount: 2, idempotencyKey: 'k-1', requestHash: hash('a') }],
        write: { metric: 'api_calls', amount: 2, idempotencyKey: 'k-1', requestHash: hash('a') },
        answer: { outcome: 'replayed', used_total: 2, limit_value: 5 },
        events: 1,
      },
    ],
    [
      'key_reused: the same idempotency key with another body',
      {
        before: [{ metric: 'api_calls', idempotencyKey: 'k-1', requestHash: hash('a') }],
        write: { metric: 'api_calls', amount: 3, idempotencyKey: 'k-1', requestHash: hash('b') },
        answer: { outcome: 'key_reused', used_total: 1 },
        events: 1,
      },
    ],
    [
      'recorded: a gauge set',
      {
        write: { metric: 'storage_mb', operation: 'set', amount: 40 },
        answer: { outcome: 'recorded', used_total: 40, used_before: 0, limit_value: 100, enforcement_mode: 'hard' },
        events: 1,
      },
    ],
    [
      'recorded: a gauge incremented',
      {
        before: [{ metric: 'storage_mb', operation: 'set', amount: 40 }],
        write: { metric: 'storage_mb', amount: 10 },
        answer: { outcome: 'recorded', used_total: 50, used_before: 40 },
        events: 2,
      },
    ],
    [
      'recorded: a gauge set lower (a decrease)',
      {
        before: [{ metric: 'storage_mb', operation: 'set', amount: 40 }],
        write: { metric: 'storage_mb', operation: 'set', amount: 10 },
        answer: { outcome: 'recorded', used_total: 10, used_before: 40 },
        events: 2,
      },
    ],
    [
      'limit_exceeded: a gauge set above its hard limit',
      {
        write: { metric: 'storage_mb', operation: 'set', amount: 150 },
        answer: { outcome: 'limit_exceeded', used_total: 0, limit_value: 100 },
        events: 0,
      },
    ],
    [
      'recorded: a gauge above its hard limit (after a downgrade) lowered, still above',
      {
        storage: 150,
        write: { metric: 'storage_mb', operation: 'set', amount: 120 },
        answer: { outcome: 'recorded', used_total: 120, used_before: 150, limit_value: 100 },
        events: 1,
      },
    ],
    [
      'limit_exceeded: a gauge above its hard limit raised further',
      {
        storage: 150,
        write: { metric: 'storage_mb', amount: 1 },
        answer: { outcome: 'limit_exceeded', used_total: 150, limit_value: 100 },
        events: 0,
      },
    ],
  ];

  it.each(recordCases)('meter_record — %s', async (_, c) => {
    const who = await tenantOf(c.tenant ?? 'limited');
    if (c.storage !== undefined) await setStorage(who, c.storage);
    for (const write of c.before ?? []) expect((await record(who, write)).outcome).toBe('recorded');
    expect(await record(who, c.write, c.jwt)).toMatchObject(c.answer);
    if (who.subscription) expect(await eventCount(t, who.tenantId)).toBe(c.events);
  });

  interface EntitlementCase {
    tenant?: TenantKind;
    jwt?: boolean;
    before?: Write[];
    metric: string;
    answer: Record<string, unknown>;
  }

  const entitlementCases: [string, EntitlementCase][] = [
    [
      'ok: a counter the plan limits',
      {
        before: [{ metric: 'api_calls', amount: 3 }],
        metric: 'api_calls',
        answer: { outcome: 'ok', metric_kind: 'counter', used_total: 3, limit_value: 5, enforcement_mode: 'hard' },
      },
    ],
    [
      'ok: a gauge the plan limits',
      {
        before: [{ metric: 'storage_mb', operation: 'set', amount: 40 }],
        metric: 'storage_mb',
        answer: { outcome: 'ok', metric_kind: 'gauge', used_total: 40, limit_value: 100, enforcement_mode: 'hard' },
      },
    ],
    [
      'ok: a soft limit',
      {
        metric: 'emails_sent',
        answer: { outcome: 'ok', metric_kind: 'counter', used_total: 0, limit_value: 2, enforcement_mode: 'soft' },
      },
    ],
    [
      'ok: max_users is the member count',
      {
        metric: 'max_users',
        answer: { outcome: 'ok', metric_kind: 'gauge', used_total: 1, limit_value: null, enforcement_mode: null },
      },
    ],
    [
      'ok: a metric the platform knows, not in the plan',
      {
        metric: 'known_custom',
        answer: { outcome: 'ok', metric_kind: 'counter', used_total: 0, limit_value: null, enforcement_mode: null },
      },
    ],
    [
      'ok: without an API key (a signed-in caller)',
      { jwt: true, metric: 'api_calls', answer: { outcome: 'ok', used_total: 0, limit_value: 5 } },
    ],
    ['unknown_metric', { metric: 'never_defined', answer: { outcome: 'unknown_metric', used_total: null } }],
    ['no_subscription', { tenant: 'unsubscribed', metric: 'api_calls', answer: { outcome: 'no_subscription' } }],
    ['suspended', { tenant: 'suspended', metric: 'api_calls', answer: { outcome: 'suspended' } }],
    ['revoked (the key)', { tenant: 'revoked', metric: 'api_calls', answer: { outcome: 'revoked' } }],
  ];

  it.each(entitlementCases)('meter_entitlement — %s', async (_, c) => {
    const who = await tenantOf(c.tenant ?? 'limited');
    for (const write of c.before ?? []) expect((await record(who, write)).outcome).toBe('recorded');
    const answer = await entitlement(who, c.metric, c.jwt);
    expect(answer).toMatchObject(c.answer);
    if (answer.outcome === 'ok') expect(new Date(answer.period_to).toISOString()).toBe(who.subscription!.currentPeriodEnd);
  });

  describe('meter_usage', () => {
    it('ok: the plan limits in plan order, then the metrics in use it does not limit', async () => {
      const who = await tenantOf('limited');
      await record(who, { metric: 'known_custom', amount: 3 });
      await record(who, { metric: 'api_calls', amount: 2 });
      await record(who, { metric: 'storage_mb', operation: 'set', amount: 7 });
      const period = {
        outcome: 'ok',
        subscription: who.subscription!.id,
        period_from: new Date(who.subscription!.currentPeriodStart),
        period_to: new Date(who.subscription!.currentPeriodEnd),
      };
      expect(await usage(who)).toEqual([
        { ...period, metric_key: 'api_calls', metric_kind: 'counter', used_total: 2, limit_value: 5, enforcement_mode: 'hard' },
        { ...period, metric_key: 'storage_mb', metric_kind: 'gauge', used_total: 7, limit_value: 100, enforcement_mode: 'hard' },
        { ...period, metric_key: 'emails_sent', metric_kind: 'counter', used_total: 0, limit_value: 2, enforcement_mode: 'soft' },
        {
          ...period,
          metric_key: 'known_custom',
          metric_kind: 'counter',
          used_total: 3,
          limit_value: null,
          enforcement_mode: null,
        },
      ]);
      expect(await usage(who, true)).toEqual(await usage(who));
    });

    it('ok: nothing limited and nothing used is one row naming the subscription and its period', async () => {
      const who = await tenantOf('unlimited');
      expect(await usage(who)).toEqual([
        expect.objectContaining({ outcome: 'ok', metric_key: null, subscription: who.subscription!.id }),
      ]);
    });

    it.each([['no_subscription', 'unsubscribed'] as const, ['suspended', 'suspended'] as const, ['revoked', 'revoked'] as const])(
      '%s: one row with the refusal',
      async (outcome, kind) => {
        expect(await usage(tenants[kind])).toEqual([expect.objectContaining({ outcome, metric_key: null })]);
      },
    );
  });

  it('meter_used: counters of the given period, gauge levels and the member count; 0 when unused or without a subscription', async () => {
    const who = await tenantOf('limited');
    await record(who, { metric: 'api_calls', amount: 2 });
    await record(who, { metric: 'storage_mb', operation: 'set', amount: 7 });
    const used = async (subscription: string | null, periodStart: string | null) => {
      await api.query('begin');
      try {
        await api.query(`select set_config('app.tenant_id', $1, true)`, [who.tenantId]);
        const { rows } = await api.query(
          'select m.metric, meter_used($1, $2, $3, m.metric)::int as used from unnest($4::text[]) as m(metric)',
          [who.tenantId, subscription, periodStart, ['api_calls', 'storage_mb', 'max_users', 'emails_sent']],
        );
        return rows;
      } finally {
        await api.query('commit');
      }
    };
    expect(await used(who.subscription!.id, who.subscription!.currentPeriodStart)).toEqual([
      { metric: 'api_calls', used: 2 },
      { metric: 'storage_mb', used: 7 },
      { metric: 'max_users', used: 1 },
      { metric: 'emails_sent', used: 0 },
    ]);
    expect(await used(null, null)).toEqual([
      { metric: 'api_calls', used: 0 },
      { metric: 'storage_mb', used: 7 },
      { metric: 'max_users', used: 1 },
      { metric: 'emails_sent', used: 0 },
    ]);
  });

  it('meter_record_batch: one jsonb array of items, each answered in order as meter_record answers it', async () => {
    const a = await tenantOf('limited');
    const b = await tenantOf('limited');
    const item = (who: Who, write: Write): RecordItem => ({
      ...caller(who),
      operation: 'increment',
      amount: 1,
      occurredAt: new Date(),
      idempotencyKey: null,
      requestHash: null,
      eventId: uuidv7(),
      ...write,
    });
    const items = [
      item(a, { metric: 'api_calls', amount: 2 }),
      item(b, { metric: 'api_calls', amount: 5 }),
      item(a, { metric: 'api_calls', amount: 4 }),
      item(a, { metric: 'never_defined' }),
      item(a, { metric: 'storage_mb', operation: 'set', amount: 30, idempotencyKey: 'k', requestHash: hash('x') }),
      item(a, { metric: 'storage_mb', operation: 'set', amount: 30, idempotencyKey: 'k', requestHash: hash('x') }),
      item(tenants.unsubscribed, { metric: 'api_calls' }),
      item(tenants.suspended, { metric: 'api_calls' }),
      item(tenants.revoked, { metric: 'api_calls' }),
      item(b, { metric: 'emails_sent', amount: 3 }),
    ];
    const recordBatch = async (batch: RecordItem[]) =>
      (await api.query({ text: RECORD_BATCH.text, values: recordBatchValues(batch, new Date()) })).rows;
    const rows = await recordBatch(items);
    expect(rows.map(recordAnswer).map((r) => [r.outcome, r.used_total])).toEqual([
      ['recorded', 2],
      ['recorded', 5],
      ['limit_exceeded', 2],
      ['unknown_metric', null],
      ['recorded', 30],
      ['replayed', 30],
      ['no_subscription', null],
      ['suspended', null],
      ['revoked', null],
      ['recorded', 3],
    ]);
    expect(await eventCount(t, a.tenantId)).toBe(2);
    expect(await eventCount(t, b.tenantId)).toBe(2);
    expect(await recordBatch([])).toEqual([]);
  });

  it('meter_entitlement_batch: one jsonb array of items, answered in order', async () => {
    const a = await tenantOf('limited');
    await record(a, { metric: 'api_calls', amount: 3 });
    const items: EntitlementItem[] = [
      { ...caller(a), metric: 'api_calls' },
      { ...caller(a), metric: 'never_defined' },
      { ...caller(tenants.revoked), metric: 'api_calls' },
      { ...caller(a), metric: 'max_users' },
      { ...caller(tenants.unsubscribed), metric: 'api_calls' },
    ];
    const { rows } = await api.query({ text: ENTITLEMENT_BATCH.text, values: entitlementBatchValues(items, new Date()) });
    expect(rows.map(entitlementAnswer).map((r) => [r.outcome, r.used_total])).toEqual([
      ['ok', 3],
      ['unknown_metric', null],
      ['revoked', null],
      ['ok', 1],
      ['no_subscription', null],
    ]);
  });
});
