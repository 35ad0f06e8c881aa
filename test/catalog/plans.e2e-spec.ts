import type { PlanDto, PolicyDto } from '../../sdk/index.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import type { ApiResponse, CallOptions } from '../support/client.js';
import {
  as,
  addMember,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  registerUser,
  SignedIn,
  TenantWithAdmin,
} from '../support/factories.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const code = (prefix = 'plan') => `${prefix}-${randomBytes(4).toString('hex')}`;

/** The terms of a version as GET /v1/plans/:id/versions shows them. */
const VERSION_KEYS = [
  'id',
  'version',
  'priceAmount',
  'currency',
  'interval',
  'intervalCount',
  'trialDays',
  'durationCycles',
  'limits',
  'createdAt',
];

describe('catalog: plans (/v1/plans)', () => {
  let t: TestApp;
  let platform: SignedIn;
  let tenant: TenantWithAdmin;
  let member: SignedIn;
  let loner: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    platform = await createPlatformAdmin(t);
    tenant = await createTenantWithAdmin(t.api, 'Plan readers');
    member = await addMember(t.api, tenant, 'tenant_user');
    loner = await registerUser(t.api, 'loner');
  });
  afterAll(() => t.close());

  const admin = (): CallOptions => ({ token: platform.token });

  async function policy(metric: string, limit: number | null, enforcement: 'hard' | 'soft' = 'hard'): Promise<PolicyDto> {
    const res = await t.api.post('/v1/policies', { metric, limit, enforcement }, admin());
    expect(res.status).toBe(201);
    return res.body;
  }

  const body = (overrides: Record<string, unknown> = {}) => ({
    code: code(),
    name: 'Pro',
    priceAmount: 4900,
    currency: 'USD',
    interval: 'month',
    ...overrides,
  });

  async function plan(overrides: Record<string, unknown> = {}): Promise<PlanDto> {
    const res = await t.api.post('/v1/plans', body(overrides), admin());
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body;
  }

  const get = (id: string, options: CallOptions = admin()) => t.api.get(`/v1/plans/${id}`, options);
  const patch = (id: string, patchBody: unknown, options: CallOptions = admin()) =>
    t.api.patch(`/v1/plans/${id}`, patchBody, options);
  const archive = (id: string, options: CallOptions = admin()) => t.api.post(`/v1/plans/${id}/archive`, {}, options);
  /** GET /v1/plans/:id/versions in one page (a list: `{ data, nextCursor }`). */
  const versionsOf = async (id: string, options: CallOptions = admin()) => {
    const res = await t.api.get(`/v1/plans/${id}/versions?limit=100`, options);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    return res.body.data as any[];
  };
  const limitOf = (p: any) => ({
    policyId: p.id,
    metric: p.metric,
    kind: p.kind,
    limit: p.limit,
    enforcement: p.enforcement,
    warningThresholds: p.warningThresholds,
  });

  /** A 400 validation_failed whose `errors` name exactly these fields. */
  function expectInvalid(res: ApiResponse, fields: string[]): void {
    expectProblem(res, 400, 'validation_failed');
    expect(Array.isArray(res.body.errors)).toBe(true);
    for (const e of res.body.errors) expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
    expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
  }

  const countPlans = async () => (await ownerQuery<{ n: number }>(t, 'select count(*)::int as n from plans'))[0].n;
  const countVersions = async (planId: string) =>
    (await ownerQuery<{ n: number }>(t, 'select count(*)::int as n from plan_versions where plan_id = $1', [planId]))[0].n;

  /** Walks every page of a list route with `limit`, checking page sizes; returns the items. */
  async function walk(path: string, limit: number, options: CallOptions): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 500; pages++) {
      const sep = path.includes('?') ? '&' : '?';
      const res: ApiResponse = await t.api.get(
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        options,
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'nextCursor']);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      items.push(...res.body.data);
      cursor = res.body.nextCursor;
      if (cursor === null) return items;
      expect(res.body.data).toHaveLength(limit);
    }
    throw new Error('too many pages');
  }

  describe('POST /v1/plans', () => {
    it('creates a plan at version 1 with its limits taken from the policies', async () => {
      const users = await policy('max_users', 10);
      const calls = await policy('api_calls', null, 'soft');
      const planCode = code('pro');
      const res = await t.api.post(
        '/v1/plans',
        {
          code: planCode,
          name: 'Pro',
          description: 'For growing teams',
          priceAmount: 4900,
          currency: 'USD',
          interval: 'month',
          intervalCount: 1,
          trialDays: 14,
          durationCycles: 12,
          policyIds: [users.id, calls.id],
        },
        admin(),
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        code: planCode,
        name: 'Pro',
        description: 'For growing teams',
        status: 'active',
        version: 1,
        versionId: expect.stringMatching(UUID),
        priceAmount: 4900,
        currency: 'USD',
        interval: 'month',
        intervalCount: 1,
        trialDays: 14,
        durationCycles: 12,
        limits: [
          {
            policyId: users.id,
            metric: 'max_users',
            kind: 'gauge',
            limit: 10,
            enforcement: 'hard',
            warningThresholds: [80, 100],
          },
          {
            policyId: calls.id,
            metric: 'api_calls',
            kind: 'counter',
            limit: null,
            enforcement: 'soft',
            warningThresholds: [80, 100],
          },
        ],
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      });
      const fetched = await get(res.body.id, as(member));
      expect({ status: fetched.status, body: fetched.body }).toEqual({ status: 200, body: res.body });

      const rows = await ownerQuery(
        t,
        'select version, price_amount, currency, interval, interval_count, trial_days, duration_cycles from plan_versions where plan_id = $1',
        [res.body.id],
      );
      expect(rows).toEqual([
        {
          version: 1,
          price_amount: '4900',
          currency: 'USD',
          interval: 'month',
          interval_count: 1,
          trial_days: 14,
          duration_cycles: 12,
        },
      ]);
      const column = await ownerQuery(
        t,
        "select data_type from information_schema.columns where table_name = 'plan_versions' and column_name = 'price_amount'",
      );
      expect(column).toEqual([{ data_type: 'bigint' }]);
    });

    it('fills the optional terms: description "", intervalCount 1, trialDays 0, durationCycles null, no limits', async () => {
      const created = await plan({ interval: 'year', priceAmount: 0 });
      expect(created).toMatchObject({
        description: '',
        version: 1,
        priceAmount: 0,
        interval: 'year',
        intervalCount: 1,
        trialDays: 0,
        durationCycles: null,
        limits: [],
      });
    });

    it.each(['day', 'week', 'month', 'year'])('accepts the interval %s', async (interval) => {
      expect((await plan({ interval, intervalCount: 3 })).interval).toBe(interval);
    });

    it('upper-cases a lower-case currency code', async () => {
      const created = await plan({ currency: 'eur' });
      expect(created.currency).toBe('EUR');
      expect((await ownerQuery(t, 'select currency from plan_versions where id = $1', [created.versionId]))[0].currency).toBe(
        'EUR',
      );
    });

    it('keeps a zero-decimal currency amount as given (minor units)', async () => {
      expect(await plan({ currency: 'JPY', priceAmount: 5000 })).toMatchObject({ currency: 'JPY', priceAmount: 5000 });
    });

    it('answers 409 conflict to a second plan with the same code, and keeps the first', async () => {
      const first = await plan();
      const before = await countPlans();
      expectProblem(await t.api.post('/v1/plans', body({ code: first.code, name: 'Other' }), admin()), 409, 'conflict');
      expect(await countPlans()).toBe(before);
      expect((await get(first.id)).body).toEqual(first);
    });

    it('replays an Idempotency-Key instead of answering 409 to the retry', async () => {
      const key = `plan-${randomUUID()}`;
      const payload = body();
      const first = await t.api.post('/v1/plans', payload, { ...admin(), idempotencyKey: key });
      const replay = await t.api.post('/v1/plans', payload, { ...admin(), idempotencyKey: key });
      expect([first.status, replay.status]).toEqual([201, 201]);
      expect(replay.body).toEqual(first.body);
      expect(await ownerQuery(t, 'select id from plans where code = $1', [payload.code])).toEqual([{ id: first.body.id }]);
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['a fractional price (49.5)', { priceAmount: 49.5 }, ['priceAmount']],
      ['a decimal-looking price (49.00 as 49.01)', { priceAmount: 49.01 }, ['priceAmount']],
      ['a string price', { priceAmount: '4900' }, ['priceAmount']],
      ['a negative price', { priceAmount: -100 }, ['priceAmount']],
      ['a price beyond the safe integers', { priceAmount: 2 ** 60 }, ['priceAmount']],
      ['a null price', { priceAmount: null }, ['priceAmount']],
      ['an unknown currency', { currency: 'XYZ' }, ['currency']],
      ['a withdrawn currency (HRK)', { currency: 'HRK' }, ['currency']],
      ['a two-letter currency', { currency: 'US' }, ['currency']],
      ['a numeric currency', { currency: 840 }, ['currency']],
      ['an unknown interval', { interval: 'quarter' }, ['interval']],
      ['an interval count of 0', { intervalCount: 0 }, ['intervalCount']],
      ['a fractional interval count', { intervalCount: 1.5 }, ['intervalCount']],
      ['negative trial days', { trialDays: -1 }, ['trialDays']],
      ['durationCycles 0', { durationCycles: 0 }, ['durationCycles']],
      ['a policy id that is not a UUID', { policyIds: ['nope'] }, ['policyIds']],
      ['policyIds that are not an array', { policyIds: randomUUID() }, ['policyIds']],
      ['an upper-case code', { code: 'PRO' }, ['code']],
      ['a code with a space', { code: 'pro plan' }, ['code']],
      ['an empty name', { name: '' }, ['name']],
      ['an unknown field', { color: 'gold' }, ['color']],
      ['a client-chosen version', { version: 3 }, ['version']],
      ['a client-chosen status', { status: 'archived' }, ['status']],
      ['limits instead of policyIds', { limits: [] }, ['limits']],
    ])('refuses %s: 400 validation_failed naming the field, nothing stored', async (_label, overrides, fields) => {
      const before = await countPlans();
      expectInvalid(await t.api.post('/v1/plans', body(overrides), admin()), fields);
      expect(await countPlans()).toBe(before);
    });

    it.each(['code', 'name', 'priceAmount', 'currency', 'interval'])('requires %s', async (field) => {
      const payload: Record<string, unknown> = body();
      delete payload[field];
      expectInvalid(await t.api.post('/v1/plans', payload, admin()), [field]);
    });

    it('refuses an unknown policy id with 400 naming policyIds', async () => {
      const known = await policy('api_calls', 10);
      const before = await countPlans();
      expectInvalid(await t.api.post('/v1/plans', body({ policyIds: [known.id, randomUUID()] }), admin()), ['policyIds']);
      expect(await countPlans()).toBe(before);
    });

    it('refuses two policies for the same metric with 400', async () => {
      const a = await policy('max_users', 5);
      const b = await policy('max_users', 50);
      const before = await countPlans();
      expectInvalid(await t.api.post('/v1/plans', body({ policyIds: [a.id, b.id] }), admin()), ['policyIds']);
      expect(await countPlans()).toBe(before);
    });

    it('snapshots the policy: a later policy edit does not change the published version', async () => {
      const users = await policy('max_users', 3);
      const created = await plan({ policyIds: [users.id] });
      expect((await t.api.patch(`/v1/policies/${users.id}`, { limit: 300 }, admin())).status).toBe(200);
      const fetched = (await get(created.id)).body;
      expect(fetched.version).toBe(1);
      expect(fetched.limits).toEqual([limitOf(users)]);
    });
  });

  describe('GET /v1/plans/:id', () => {
    it('answers 404 for an unknown plan and 400 for a malformed id', async () => {
      expectProblem(await get(randomUUID()), 404, 'not_found');
      expectInvalid(await get('pro'), ['id']);
      expectProblem(await t.api.get(`/v1/plans/${randomUUID()}/versions`, admin()), 404, 'not_found');
    });
  });

  describe('PATCH /v1/plans/:id', () => {
    it('edits name and description without publishing a version', async () => {
      const created = await plan({ description: 'old' });
      const res = await patch(created.id, { name: 'Renamed', description: 'new words' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...created, name: 'Renamed', description: 'new words', updatedAt: expect.stringMatching(ISO) });
      expect(res.body.version).toBe(1);
      expect(res.body.versionId).toBe(created.versionId);
      expect(await versionsOf(created.id)).toHaveLength(1);
      expect(await countVersions(created.id)).toBe(1);
    });

    it('publishes the next version on each change of terms, keeping every older version intact', async () => {
      const users5 = await policy('max_users', 5);
      const users50 = await policy('max_users', 50);
      const created = await plan({ priceAmount: 1000, interval: 'month', policyIds: [users5.id] });
      const steps: [Record<string, unknown>, Record<string, unknown>][] = [
        [{ priceAmount: 1500 }, { priceAmount: 1500 }],
        [{ interval: 'year' }, { interval: 'year' }],
        [{ intervalCount: 2 }, { intervalCount: 2 }],
        [{ trialDays: 7 }, { trialDays: 7 }],
        [{ durationCycles: 6 }, { durationCycles: 6 }],
        [{ durationCycles: null }, { durationCycles: null }],
        [{ policyIds: [users50.id] }, { limits: [limitOf(users50)] }],
        [{ policyIds: [] }, { limits: [] }],
        [{ currency: 'gbp' }, { currency: 'GBP' }],
      ];
      const expected: any[] = [
        {
          version: 1,
          priceAmount: 1000,
          currency: 'USD',
          interval: 'month',
          intervalCount: 1,
          trialDays: 0,
          durationCycles: null,
          limits: [limitOf(users5)],
        },
      ];
      for (const [change, effect] of steps) {
        const previous = expected[expected.length - 1];
        const res = await patch(created.id, change);
        expect({ change, status: res.status }).toEqual({ change, status: 200 });
        const next = { ...previous, ...effect, version: previous.version + 1 };
        expected.push(next);
        expect(res.body).toMatchObject({ ...next, id: created.id, code: created.code, status: 'active' });
        expect(res.body.versionId).not.toBe(created.versionId);
        expect((await get(created.id, as(member))).body).toEqual(res.body);
      }

      const versions = await versionsOf(created.id);
      expect(versions.map((v) => Object.keys(v).sort())).toEqual(versions.map(() => [...VERSION_KEYS].sort()));
      expect(versions.map(({ id: _id, createdAt: _at, ...terms }) => terms)).toEqual(expected);
      expect(versions[0].id).toBe(created.versionId);
      expect(new Set(versions.map((v) => v.id)).size).toBe(expected.length);
      expect(await countVersions(created.id)).toBe(expected.length);
      // Readers see the same history.
      expect(await versionsOf(created.id, as(loner))).toEqual(versions);
      // Paged two at a time, oldest first, each version once.
      const paged = await walk(`/v1/plans/${created.id}/versions`, 2, as(member));
      expect(paged).toEqual(versions);
      // A cursor issued for another plan's versions is refused.
      const other = await plan();
      await patch(other.id, { priceAmount: 1 });
      const page = await t.api.get(`/v1/plans/${other.id}/versions?limit=1`, admin());
      expect(page.body).toEqual({ data: [expect.objectContaining({ version: 1 })], nextCursor: expect.any(String) });
      const crossed = await t.api.get(
        `/v1/plans/${created.id}/versions?cursor=${encodeURIComponent(page.body.nextCursor)}`,
        admin(),
      );
      expectInvalid(crossed, ['cursor']);
    });

    it('publishes one version for a PATCH changing several terms and the name at once', async () => {
      const created = await plan({ priceAmount: 1000 });
      const res = await patch(created.id, { name: 'Bundle', priceAmount: 2000, trialDays: 30 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Bundle', version: 2, priceAmount: 2000, trialDays: 30 });
      expect((await versionsOf(created.id)).map((v) => [v.version, v.priceAmount, v.trialDays])).toEqual([
        [1, 1000, 0],
        [2, 2000, 30],
      ]);
    });

    it('publishes nothing when the terms sent equal the current ones (order of policyIds, case of currency aside)', async () => {
      const users = await policy('max_users', 5);
      const calls = await policy('api_calls', 1000);
      const created = await plan({
        priceAmount: 2500,
        currency: 'USD',
        interval: 'month',
        intervalCount: 1,
        trialDays: 3,
        durationCycles: null,
        policyIds: [users.id, calls.id],
      });
      const res = await patch(created.id, {
        priceAmount: 2500,
        currency: 'usd',
        interval: 'month',
        intervalCount: 1,
        trialDays: 3,
        durationCycles: null,
        policyIds: [calls.id, users.id],
      });
      expect(res.status).toBe(200);
      expect(res.body.version).toBe(1);
      expect(res.body.versionId).toBe(created.versionId);
      // Once more, after a plain read (the limits come back from the database this time).
      const again = await patch(created.id, { policyIds: [users.id, calls.id], priceAmount: 2500 });
      expect(again.body.version).toBe(1);
      expect(await countVersions(created.id)).toBe(1);
      const published = await ownerQuery(
        t,
        "select 1 from audit_logs where action = 'plan.version_published' and target_id = $1",
        [created.id],
      );
      expect(published).toEqual([]);
    });

    it('publishes a version when a re-sent policy was edited since (the plan picks the change up)', async () => {
      const users = await policy('max_users', 5);
      const created = await plan({ policyIds: [users.id] });
      const edited = (await t.api.patch(`/v1/policies/${users.id}`, { limit: 8 }, admin())).body;
      const res = await patch(created.id, { policyIds: [users.id] });
      expect(res.body).toMatchObject({ version: 2, limits: [limitOf(edited)] });
      expect((await versionsOf(created.id)).map((v) => v.limits[0].limit)).toEqual([5, 8]);
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['a fractional price', { priceAmount: 19.99 }, ['priceAmount']],
      ['a string price', { priceAmount: '1999' }, ['priceAmount']],
      ['a negative price', { priceAmount: -1 }, ['priceAmount']],
      ['an unknown currency', { currency: 'XYZ' }, ['currency']],
      ['an unknown interval', { interval: 'fortnight' }, ['interval']],
      ['a changed code (not editable)', { code: 'renamed' }, ['code']],
      ['a status (archive has its own route)', { status: 'archived' }, ['status']],
      ['a version', { version: 9 }, ['version']],
      ['an unknown field', { foo: 'bar' }, ['foo']],
    ])('refuses %s with 400 and publishes nothing', async (_label, change, fields) => {
      const created = await plan();
      expectInvalid(await patch(created.id, change), fields);
      expect((await get(created.id)).body).toEqual(created);
      expect(await countVersions(created.id)).toBe(1);
    });

    it('refuses an unknown or duplicate-metric policy set with 400 and publishes nothing', async () => {
      const a = await policy('storage_mb', 100);
      const b = await policy('storage_mb', 200);
      const created = await plan({ policyIds: [a.id] });
      expectInvalid(await patch(created.id, { policyIds: [randomUUID()] }), ['policyIds']);
      expectInvalid(await patch(created.id, { policyIds: [a.id, b.id] }), ['policyIds']);
      expect((await get(created.id)).body).toEqual(created);
      expect(await countVersions(created.id)).toBe(1);
    });

    it('answers 404 for an unknown plan', async () => {
      expectProblem(await patch(randomUUID(), { name: 'x' }), 404, 'not_found');
    });
  });

  describe('POST /v1/plans/:id/archive', () => {
    it('archives once (200, status archived, terms unchanged); a second archive is 409 invalid_transition', async () => {
      const created = await plan();
      const res = await archive(created.id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...created, status: 'archived', updatedAt: expect.stringMatching(ISO) });
      expectProblem(await archive(created.id), 409, 'invalid_transition');
      expect((await get(created.id)).body.status).toBe('archived');
      expect(await countVersions(created.id)).toBe(1);
    });

    it('answers 404 for an unknown plan', async () => {
      expectProblem(await archive(randomUUID()), 404, 'not_found');
    });

    it('hides an archived plan from everyone but platform admins', async () => {
      const active = await plan({ name: 'Still sold' });
      const archived = await plan({ name: 'Retired' });
      expect((await archive(archived.id)).status).toBe(200);

      for (const reader of [as(tenant), as(member), as(loner)]) {
        expectProblem(await get(archived.id, reader), 404, 'not_found');
        expectProblem(await t.api.get(`/v1/plans/${archived.id}/versions`, reader), 404, 'not_found');
        const all = await walk('/v1/plans', 100, reader);
        expect(all.map((p) => p.id)).toContain(active.id);
        expect(all.map((p) => p.id)).not.toContain(archived.id);
        expect(all.every((p) => p.status === 'active')).toBe(true);
        // Asking for archived plans does not reveal them.
        const asked = await walk('/v1/plans?status=archived', 100, reader);
        expect(asked.map((p) => p.id)).not.toContain(archived.id);
        expect(asked.every((p) => p.status === 'active')).toBe(true);
      }

      const seen = await get(archived.id);
      expect({ status: seen.status, body: seen.body }).toEqual({
        status: 200,
        body: expect.objectContaining({ id: archived.id, status: 'archived' }),
      });
      expect(await versionsOf(archived.id)).toHaveLength(1);
      const archivedList = await walk('/v1/plans?status=archived', 100, admin());
      expect(archivedList.map((p) => p.id)).toContain(archived.id);
      expect(archivedList.every((p) => p.status === 'archived')).toBe(true);
      const activeList = await walk('/v1/plans?status=active', 100, admin());
      expect(activeList.map((p) => p.id)).toContain(active.id);
      expect(activeList.map((p) => p.id)).not.toContain(archived.id);
    });

    it('refuses an unknown status filter with 400', async () => {
      expectInvalid(await t.api.get('/v1/plans?status=deleted', admin()), ['status']);
    });
  });

  describe('subscriptions and versions', () => {
    const subscribe = (who: TenantWithAdmin, planId: string) => t.api.post('/v1/subscription', { planId }, as(who));
    const current = (who: TenantWithAdmin) => t.api.get('/v1/subscription', as(who));

    it('refuses new subscriptions to an archived plan while the existing one goes on', async () => {
      const free = await plan({ priceAmount: 0, name: 'Free' });
      const early = await createTenantWithAdmin(t.api, 'Early');
      const late = await createTenantWithAdmin(t.api, 'Late');

      const subscribed = await subscribe(early, free.id);
      expect(subscribed.status).toBe(201);
      expect(subscribed.body).toMatchObject({
        status: 'active',
        plan: { id: free.id, code: free.code, name: 'Free', version: 1 },
        priceAmount: 0,
        currency: 'USD',
      });

      expect((await archive(free.id)).status).toBe(200);
      const refused = await subscribe(late, free.id);
      expectInvalid(refused, ['planId']);
      expectProblem(await current(late), 404, 'not_found');
      expect(await ownerQuery(t, 'select 1 from subscriptions where tenant_id = $1', [late.tenantId])).toEqual([]);

      const still = await current(early);
      expect(still.status).toBe(200);
      expect(still.body).toMatchObject({ id: subscribed.body.id, status: 'active', plan: { id: free.id, version: 1 } });
    });

    it('keeps an existing subscription on the version it bought when a PATCH publishes the next', async () => {
      const users = await policy('max_users', 5);
      const more = await policy('max_users', 25);
      const free = await plan({ priceAmount: 0, name: 'Starter', policyIds: [users.id] });
      const buyer = await createTenantWithAdmin(t.api, 'Buyer');
      expect((await subscribe(buyer, free.id)).status).toBe(201);

      const published = await patch(free.id, { policyIds: [more.id], name: 'Starter+' });
      expect(published.body).toMatchObject({ version: 2, name: 'Starter+', limits: [limitOf(more)] });
      expect((await get(free.id, as(buyer))).body).toMatchObject({ version: 2 });

      const sub = await current(buyer);
      expect(sub.status).toBe(200);
      expect(sub.body.plan).toEqual({ id: free.id, code: free.code, name: expect.any(String), version: 1 });
      expect(sub.body.usage).toEqual([
        expect.objectContaining({ metric: 'max_users', limit: 5, used: 1, remaining: 4, enforcement: 'hard' }),
      ]);
      const [row] = await ownerQuery(t, 'select plan_version_id from subscriptions where tenant_id = $1', [buyer.tenantId]);
      expect(row.plan_version_id).toBe(free.versionId);

      // A new buyer gets version 2.
      const newcomer = await createTenantWithAdmin(t.api, 'Newcomer');
      const later = await subscribe(newcomer, free.id);
      expect(later.status).toBe(201);
      expect(later.body.plan.version).toBe(2);
      expect(later.body.usage).toEqual([expect.objectContaining({ metric: 'max_users', limit: 25 })]);
    });
  });

  describe('GET /v1/plans (pagination)', () => {
    it('pages with limit and nextCursor through every active plan exactly once, in creation order', async () => {
      for (let i = 0; i < 5; i++) await plan({ name: `Page ${i}` });
      const expected = (
        await ownerQuery<{ id: string }>(t, "select id from plans where status = 'active' order by created_at, id")
      ).map((r) => r.id);
      expect(expected.length).toBeGreaterThanOrEqual(5);
      const items = await walk('/v1/plans', 2, as(member));
      expect(items.map((p) => p.id)).toEqual(expected);
      const first = items[0];
      expect(Object.keys(first).sort()).toEqual(
        [
          'id',
          'code',
          'name',
          'description',
          'status',
          'version',
          'versionId',
          'priceAmount',
          'currency',
          'interval',
          'intervalCount',
          'trialDays',
          'durationCycles',
          'limits',
          'createdAt',
          'updatedAt',
        ].sort(),
      );
    });

    it('shows the current version of each plan in the list', async () => {
      const created = await plan({ priceAmount: 100 });
      await patch(created.id, { priceAmount: 200 });
      const listed = (await walk('/v1/plans', 100, as(loner))).find((p) => p.id === created.id);
      expect(listed).toMatchObject({ version: 2, priceAmount: 200 });
    });

    it.each(['limit=0', 'limit=101', 'limit=1.5', 'cursor=abc', 'unknown=1'])('refuses ?%s with 400', async (query) => {
      expectProblem(await t.api.get(`/v1/plans?${query}`, as(member)), 400, 'validation_failed');
    });
  });

  describe('who may write', () => {
    it('refuses anonymous callers with 401 on every route', async () => {
      const created = await plan();
      expectProblem(await t.api.get('/v1/plans'), 401, 'unauthenticated');
      expectProblem(await t.api.get(`/v1/plans/${created.id}`), 401, 'unauthenticated');
      expectProblem(await t.api.get(`/v1/plans/${created.id}/versions`), 401, 'unauthenticated');
      expectProblem(await t.api.post('/v1/plans', body()), 401, 'unauthenticated');
      expectProblem(await t.api.patch(`/v1/plans/${created.id}`, { name: 'x' }), 401, 'unauthenticated');
      expectProblem(await t.api.post(`/v1/plans/${created.id}/archive`, {}), 401, 'unauthenticated');
    });

    it('refuses every non-platform-admin writer with 403 and changes nothing; all of them can read', async () => {
      const created = await plan();
      const plansBefore = await countPlans();
      for (const who of [as(tenant), as(member), as(loner)]) {
        expectProblem(await t.api.post('/v1/plans', body(), who), 403, 'forbidden');
        expectProblem(await patch(created.id, { priceAmount: 1 }, who), 403, 'forbidden');
        expectProblem(await archive(created.id, who), 403, 'forbidden');
        const read = await get(created.id, who);
        expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: created });
        expect((await t.api.get(`/v1/plans/${created.id}/versions`, who)).status).toBe(200);
      }
      expect(await countPlans()).toBe(plansBefore);
      expect((await get(created.id)).body).toEqual(created);
    });
  });

  describe('audit', () => {
    it('records plan.created, plan.updated, plan.version_published and plan.archived with before/after and the actor', async () => {
      const created = await plan({ priceAmount: 1000 });
      const renamed = (await patch(created.id, { name: 'Renamed' })).body;
      const repriced = (await patch(created.id, { priceAmount: 1200 })).body;
      const archived = (await archive(created.id)).body;

      const res = await t.api.get('/v1/admin/audit-logs?limit=100', admin());
      expect(res.status).toBe(200);
      const entries = res.body.data.filter((e: { targetId: string }) => e.targetId === created.id).reverse();
      const common = {
        id: expect.stringMatching(UUID),
        tenantId: null,
        actorUserId: platform.userId,
        targetType: 'plan',
        targetId: created.id,
        requestId: expect.any(String),
        createdAt: expect.stringMatching(ISO),
      };
      expect(entries).toEqual([
        { ...common, action: 'plan.created', before: null, after: created },
        { ...common, action: 'plan.updated', before: created, after: renamed },
        { ...common, action: 'plan.version_published', before: renamed, after: repriced },
        { ...common, action: 'plan.archived', before: { status: 'active' }, after: { status: 'archived' } },
      ]);
      expect(entries[2].before).toMatchObject({ version: 1, priceAmount: 1000 });
      expect(entries[2].after).toMatchObject({ version: 2, priceAmount: 1200 });
      expect(archived.status).toBe('archived');
    });

    it('writes no audit entry for a refused or a no-op change', async () => {
      const created = await plan();
      const count = async () =>
        (
          await ownerQuery<{ n: number }>(
            t,
            "select count(*)::int as n from audit_logs where action like 'plan.%' and target_id = $1",
            [created.id],
          )
        )[0].n;
      const before = await count();
      expectProblem(await patch(created.id, { priceAmount: 1.5 }), 400, 'validation_failed');
      expectProblem(await patch(created.id, { name: 'x' }, as(tenant)), 403, 'forbidden');
      expect((await patch(created.id, { priceAmount: created.priceAmount })).status).toBe(200);
      expect(await count()).toBe(before);
    });
  });
});
