import type { PlanDto } from '../../sdk/index.js';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { createPlatformAdmin, expectProblem } from '../support/factories.js';
import {
  counters,
  eventCount,
  meteredPlan,
  meteredTenant,
  MeteredTenant,
  raceAsApiRole,
  RaceOptions,
  record,
} from './support.js';

/** Limits hold under bursts, and retries count once — concurrent requests share batched statements. */
describe('metering under concurrency', () => {
  let t: TestApp;
  let adminToken: string;
  let limit100: PlanDto;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = (await createPlatformAdmin(t)).token;
    limit100 = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 100 }]);
  });
  afterAll(() => t.close());

  const burst = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

  it('accepts exactly 100 of 150 simultaneous writes against a limit of 100: counter 100, 100 events', async () => {
    const tenant = await meteredTenant(t, limit100.id);
    const results = await burst(150, () => record(t, tenant, { metric: 'api_calls' }));
    const accepted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 403);
    expect({ accepted: accepted.length, refused: refused.length }).toEqual({ accepted: 100, refused: 50 });
    for (const r of refused)
      expect(r.body).toMatchObject({ code: 'limit_exceeded', metric: 'api_calls', limit: 100, used: 100, requested: 1 });
    // Every accepted write saw a distinct counter value: 1 … 100.
    expect(accepted.map((r) => r.body.used).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await counters(t, tenant.tenantId)).toEqual([expect.objectContaining({ metric: 'api_calls', used: 100 })]);
    expect(await eventCount(t, tenant.tenantId)).toBe(100);
    expect((await t.api.get('/v1/entitlements/api_calls', { token: tenant.key })).body).toMatchObject({
      used: 100,
      remaining: 0,
      allowed: false,
    });
  });

  it('counts a first use that races another first use (as the API role, two sessions): the counter row is new to both', async () => {
    const tenant = await meteredTenant(t, limit100.id, 'First use');
    const call = (client: pg.Client) =>
      client.query(
        `select outcome, used_total::int as used from meter_record($1, $2, false, now(), 'api_calls', 'increment', 1, now(), null, null, $3)`,
        [tenant.tenantId, tenant.keyId, uuidv7()],
      );
    // The second session sees no counter row (the first's is not committed) and waits on its insert.
    const [firstRows, racing] = await raceAsApiRole(t, call, call);
    expect(firstRows).toEqual([{ outcome: 'recorded', used: 1 }]);
    // Within the limit, so counted — not refused because the row turned out to exist.
    expect(racing).toEqual([{ outcome: 'recorded', used: 2 }]);
    expect((await counters(t, tenant.tenantId))[0].used).toBe(2);
  });

  describe('first use of a counter', () => {
    let unlimited: PlanDto;
    beforeAll(async () => {
      unlimited = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: null }]);
    });

    it('accepts all of 4 simultaneous reports on each of 40 fresh counters with no limit (160 of 160)', async () => {
      const tenants: MeteredTenant[] = [];
      for (let i = 0; i < 40; i++) tenants.push(await meteredTenant(t, unlimited.id, `Fresh ${i}`));
      const results = await Promise.all(
        tenants.flatMap((tenant) => [1, 2, 3, 4].map(() => record(t, tenant, { metric: 'api_calls' }))),
      );
      const refused = results.filter((r) => r.status !== 201).map((r) => r.body);
      expect({ accepted: results.length - refused.length, refused }).toEqual({ accepted: 160, refused: [] });
      for (const r of results)
        expect(r.body).toEqual({ metric: 'api_calls', used: expect.any(Number), limit: null, remaining: null });
      for (let i = 0; i < tenants.length; i++) {
        // Each counter's four writes saw 1 … 4, and it holds 4 with 4 events.
        expect(
          results
            .slice(i * 4, i * 4 + 4)
            .map((r) => r.body.used)
            .sort((x: number, y: number) => x - y),
        ).toEqual([1, 2, 3, 4]);
        expect(await counters(t, tenants[i].tenantId)).toEqual([expect.objectContaining({ metric: 'api_calls', used: 4 })]);
        expect(await eventCount(t, tenants[i].tenantId)).toBe(4);
      }
    });

    /** meter_record as the API role: one increment (of a counter or a gauge) without an idempotency key. */
    const meter = (tenant: MeteredTenant, metric: string, quantity: number) => (client: pg.Client) =>
      client.query<{ outcome: string; used: number; limit: number | null }>(
        `select outcome, used_total::int as used, limit_value::int as "limit"
           from meter_record($1, $2, false, now(), $3, 'increment', $4, now(), null, null, $5)`,
        [tenant.tenantId, tenant.keyId, metric, quantity, uuidv7()],
      );

    // The two ways a first use meets another (as the API role, two sessions): the second waits on the
    // first's uncommitted insert of the row, or it missed the row and finds it committed when it creates it.
    const interleavings: [string, RaceOptions][] = [
      ['waits on its insert', {}],
      ['finds it committed after missing it', { holdAfterMiss: 'usage_counters' }],
    ];
    describe.each(interleavings)('when the second first use %s', (_, options) => {
      it('counts both on a counter with no limit, and never answers limit_exceeded', async () => {
        const tenant = await meteredTenant(t, unlimited.id, 'Unlimited first use');
        const [firstRows, racing] = await raceAsApiRole(t, meter(tenant, 'api_calls', 1), meter(tenant, 'api_calls', 1), options);
        expect(firstRows).toEqual([{ outcome: 'recorded', used: 1, limit: null }]);
        expect(racing).toEqual([{ outcome: 'recorded', used: 2, limit: null }]);
        expect(await counters(t, tenant.tenantId)).toEqual([expect.objectContaining({ used: 2 })]);
        expect(await eventCount(t, tenant.tenantId)).toBe(2);
      });

      it('counts a unit that reaches the limit exactly, refuses one beyond it (limit 2)', async () => {
        const limit2 = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 2 }]);
        const edge = await meteredTenant(t, limit2.id, 'Edge');
        const [, racing] = await raceAsApiRole(t, meter(edge, 'api_calls', 1), meter(edge, 'api_calls', 1), options);
        expect(racing).toEqual([{ outcome: 'recorded', used: 2, limit: 2 }]);
        expect(await counters(t, edge.tenantId)).toEqual([expect.objectContaining({ used: 2 })]);

        const over = await meteredTenant(t, limit2.id, 'Over the edge');
        const [, refused] = await raceAsApiRole(t, meter(over, 'api_calls', 1), meter(over, 'api_calls', 2), options);
        expect(refused).toEqual([{ outcome: 'limit_exceeded', used: 1, limit: 2 }]);
        expect(await counters(t, over.tenantId)).toEqual([expect.objectContaining({ used: 1 })]);
        expect(await eventCount(t, over.tenantId)).toBe(1);
      });

      it('counts both on a gauge with no limit (storage_mb, not in the plan)', async () => {
        const tenant = await meteredTenant(t, unlimited.id, 'Gauge first use');
        const gaugeOptions: RaceOptions = options.holdAfterMiss ? { holdAfterMiss: 'usage_gauges' } : {};
        const [firstRows, racing] = await raceAsApiRole(
          t,
          meter(tenant, 'storage_mb', 3),
          meter(tenant, 'storage_mb', 5),
          gaugeOptions,
        );
        expect(firstRows).toEqual([{ outcome: 'recorded', used: 3, limit: null }]);
        expect(racing).toEqual([{ outcome: 'recorded', used: 8, limit: null }]);
      });
    });
  });

  it('never exceeds the limit with mixed quantities: accepted quantities = counter = events ≤ limit', async () => {
    const tenant = await meteredTenant(t, limit100.id);
    const quantities = Array.from({ length: 120 }, (_, i) => (i % 3) + 1);
    const results = await burst(quantities.length, (i) => record(t, tenant, { metric: 'api_calls', quantity: quantities[i] }));
    const accepted = quantities.filter((_, i) => results[i].status === 201);
    const total = accepted.reduce((a, b) => a + b, 0);
    expect(results.every((r) => r.status === 201 || r.status === 403)).toBe(true);
    expect(total).toBeLessThanOrEqual(100);
    // A refusal only ever happened because that quantity no longer fitted.
    const refusedQuantities = quantities.filter((_, i) => results[i].status === 403);
    expect(100 - total).toBeLessThan(Math.max(...refusedQuantities));
    expect((await counters(t, tenant.tenantId))[0].used).toBe(total);
    const [{ sum }] = await ownerQuery<{ sum: number }>(
      t,
      'select sum(quantity)::int as sum from usage_events where tenant_id = $1',
      [tenant.tenantId],
    );
    expect(sum).toBe(total);
  });

  it('keeps tenants apart inside one burst: each gets exactly its own limit', async () => {
    const a = await meteredTenant(t, limit100.id, 'Burst A');
    const b = await meteredTenant(t, limit100.id, 'Burst B');
    const results = await burst(240, (i) => record(t, i % 2 ? a : b, { metric: 'api_calls' }));
    expect(results.filter((r, i) => i % 2 && r.status === 201)).toHaveLength(100);
    expect(results.filter((r, i) => !(i % 2) && r.status === 201)).toHaveLength(100);
    expect((await counters(t, a.tenantId))[0].used).toBe(100);
    expect((await counters(t, b.tenantId))[0].used).toBe(100);
    expect(await eventCount(t, a.tenantId)).toBe(100);
    expect(await eventCount(t, b.tenantId)).toBe(100);
  });

  describe('idempotent replays', () => {
    let tenant: MeteredTenant;
    beforeEach(async () => {
      tenant = await meteredTenant(t, limit100.id);
    });

    it('counts a sequential replay once and answers it as the first time', async () => {
      const key = randomUUID();
      const first = await record(t, tenant, { metric: 'api_calls', quantity: 3 }, { idempotencyKey: key });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      await record(t, tenant, { metric: 'api_calls', quantity: 2 });
      for (let i = 0; i < 3; i++) {
        const replay = await record(t, tenant, { metric: 'api_calls', quantity: 3 }, { idempotencyKey: key });
        expect(replay.status).toBe(201);
        expect(replay.body).toEqual(first.body);
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
      }
      // The key may also travel in the body; header and body name the same report.
      const inBody = await record(t, tenant, { metric: 'api_calls', quantity: 3, idempotencyKey: key });
      expect(inBody.body).toEqual(first.body);
      const both = await record(t, tenant, { metric: 'api_calls', quantity: 3, idempotencyKey: key }, { idempotencyKey: key });
      expect(both.body).toEqual(first.body);
      expect((await counters(t, tenant.tenantId))[0].used).toBe(5);
      expect(await eventCount(t, tenant.tenantId)).toBe(2);
    });

    it('refuses the same key with another report (409 idempotency_key_reused) and counts nothing', async () => {
      const key = randomUUID();
      await record(t, tenant, { metric: 'api_calls', quantity: 3 }, { idempotencyKey: key });
      expectProblem(
        await record(t, tenant, { metric: 'api_calls', quantity: 4 }, { idempotencyKey: key }),
        409,
        'idempotency_key_reused',
      );
      expectProblem(
        await record(t, tenant, { metric: 'emails_sent', quantity: 3 }, { idempotencyKey: key }),
        409,
        'idempotency_key_reused',
      );
      expectProblem(
        await record(
          t,
          tenant,
          { metric: 'api_calls', quantity: 3, occurredAt: '2021-01-01T00:00:00Z' },
          { idempotencyKey: key },
        ),
        409,
        'idempotency_key_reused',
      );
      expect((await counters(t, tenant.tenantId))[0].used).toBe(3);
      expect(await eventCount(t, tenant.tenantId)).toBe(1);
    });

    it('keeps keys per tenant: another tenant may use the same key for its own report', async () => {
      const other = await meteredTenant(t, limit100.id, 'Other');
      const key = randomUUID();
      expect((await record(t, tenant, { metric: 'api_calls', quantity: 2 }, { idempotencyKey: key })).body.used).toBe(2);
      const theirs = await record(t, other, { metric: 'api_calls', quantity: 5 }, { idempotencyKey: key });
      expect(theirs.status).toBe(201);
      expect(theirs.body.used).toBe(5);
      expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    });

    it('counts 25 simultaneous requests with one key once, and answers all of them alike', async () => {
      const key = randomUUID();
      const results = await burst(25, () => record(t, tenant, { metric: 'api_calls', quantity: 4 }, { idempotencyKey: key }));
      expect(results.map((r) => r.status)).toEqual(Array(25).fill(201));
      for (const r of results) expect(r.body).toEqual({ metric: 'api_calls', used: 4, limit: 100, remaining: 96 });
      expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(24);
      expect((await counters(t, tenant.tenantId))[0].used).toBe(4);
      expect(await eventCount(t, tenant.tenantId)).toBe(1);
    });

    it('answers simultaneous replays as the first report even when it took the last unit of the limit', async () => {
      const tight = await meteredTenant(t, (await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 1 }])).id);
      const key = randomUUID();
      const results = await burst(30, (i) =>
        i % 3 === 0
          ? record(t, tight, { metric: 'api_calls' })
          : record(t, tight, { metric: 'api_calls' }, { idempotencyKey: key }),
      );
      const keyed = results.filter((_, i) => i % 3 !== 0);
      const unkeyed = results.filter((_, i) => i % 3 === 0);
      const winners = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
      expect(winners).toHaveLength(1);
      if (keyed.some((r) => r.status === 201)) {
        // The keyed report won the unit: every keyed request answers 201 alike; every other write is refused.
        for (const r of keyed)
          expect({ status: r.status, body: r.body }).toEqual({
            status: 201,
            body: { metric: 'api_calls', used: 1, limit: 1, remaining: 0 },
          });
        for (const r of unkeyed) expect(r.status).toBe(403);
      } else {
        // An unkeyed write won the unit: the keyed report is refused, never counted.
        for (const r of keyed) expect(r.status).toBe(403);
      }
      expect((await counters(t, tight.tenantId))[0].used).toBe(1);
      expect(await eventCount(t, tight.tenantId)).toBe(1);
    });

    it('undoes its own change when another transaction commits the same key first (as the API role, two sessions)', async () => {
      const key = randomUUID();
      const hash = createHash('sha256').update('same report').digest();
      const call = (client: pg.Client, quantity: number) =>
        client.query(
          `select outcome, used_total::int as used from meter_record($1, $2, false, now(), 'api_calls', 'increment', $3, now(), $4, $5, $6)`,
          [tenant.tenantId, tenant.keyId, quantity, key, hash, uuidv7()],
        );
      // The second session passes the replay check (the first is not committed) and waits on the counter's row lock.
      const [firstRows, racing] = await raceAsApiRole(
        t,
        (client) => call(client, 2),
        (client) => call(client, 2),
      );
      expect(firstRows).toEqual([{ outcome: 'recorded', used: 2 }]);
      expect(racing).toEqual([{ outcome: 'replayed', used: 2 }]);
      expect((await counters(t, tenant.tenantId))[0].used).toBe(2);
      expect(await eventCount(t, tenant.tenantId)).toBe(1);
    });

    it('lets one of several simultaneous different reports with one key through; the rest are 409', async () => {
      const key = randomUUID();
      const results = await burst(10, (i) =>
        record(t, tenant, { metric: 'api_calls', quantity: i + 1 }, { idempotencyKey: key }),
      );
      const winners = results.filter((r) => r.status === 201);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) expect(r.body.code).toBe('idempotency_key_reused');
      expect((await counters(t, tenant.tenantId))[0].used).toBe(winners[0].body.used);
      expect(await eventCount(t, tenant.tenantId)).toBe(1);
    });
  });
});
