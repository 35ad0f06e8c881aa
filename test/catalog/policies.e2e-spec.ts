import type { PolicyDto } from '../../sdk/index.js';
import { randomUUID } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import type { ApiResponse, CallOptions } from '../support/client.js';
import {
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

describe('catalog: limit policies (/v1/policies)', () => {
  let t: TestApp;
  let platform: SignedIn;
  let tenant: TenantWithAdmin;
  let member: SignedIn;
  let loner: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    platform = await createPlatformAdmin(t);
    tenant = await createTenantWithAdmin(t.api, 'Policy readers');
    member = await addMember(t.api, tenant, 'tenant_user');
    loner = await registerUser(t.api, 'loner');
  });
  afterAll(() => t.close());

  const admin = (): CallOptions => ({ token: platform.token });
  const post = (body: unknown, options: CallOptions = admin()) => t.api.post('/v1/policies', body, options);
  const patch = (id: string, body: unknown, options: CallOptions = admin()) => t.api.patch(`/v1/policies/${id}`, body, options);

  async function created(body: Record<string, unknown>): Promise<PolicyDto> {
    const res = await post(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body;
  }

  /** A 400 validation_failed whose `errors` name exactly these fields (each with a message). */
  function expectInvalid(res: ApiResponse, fields: string[]): void {
    expectProblem(res, 400, 'validation_failed');
    expect(Array.isArray(res.body.errors)).toBe(true);
    for (const e of res.body.errors) expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
    expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
  }

  const countPolicies = async () => (await ownerQuery<{ n: number }>(t, 'select count(*)::int as n from policies'))[0].n;

  describe('POST /v1/policies', () => {
    it('creates a policy with defaults: hard enforcement, thresholds [80, 100], a generated name', async () => {
      const res = await post({ metric: 'max_users', limit: 10 });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        name: 'max_users ≤ 10',
        metric: 'max_users',
        kind: 'gauge',
        limit: 10,
        enforcement: 'hard',
        warningThresholds: [80, 100],
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      });
      const rows = await ownerQuery(
        t,
        'select metric, kind, "limit", enforcement, warning_thresholds from policies where id = $1',
        [res.body.id],
      );
      expect(rows).toEqual([
        { metric: 'max_users', kind: 'gauge', limit: '10', enforcement: 'hard', warning_thresholds: [80, 100] },
      ]);
    });

    it.each([
      ['max_users', 'gauge'],
      ['storage_mb', 'gauge'],
      ['api_calls', 'counter'],
      ['reports_generated', 'counter'],
      ['x', 'counter'],
      ['sms_2fa_codes', 'counter'],
    ])('derives the kind of %s: %s', async (metric, kind) => {
      const res = await post({ metric, limit: 5, enforcement: 'soft' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ metric, kind, limit: 5, enforcement: 'soft', warningThresholds: [80, 100] });
      expect((await t.api.get(`/v1/policies/${res.body.id}`, admin())).body.kind).toBe(kind);
    });

    it('takes a null limit as unlimited, and 0 as a limit of zero', async () => {
      const unlimited = await created({ metric: 'api_calls', limit: null, name: 'Unlimited API' });
      expect(unlimited).toMatchObject({ name: 'Unlimited API', metric: 'api_calls', kind: 'counter', limit: null });
      expect((await t.api.get(`/v1/policies/${unlimited.id}`, admin())).body.limit).toBeNull();
      const generated = await created({ metric: 'api_calls', limit: null });
      expect(generated.name).toBe('api_calls unlimited');
      const zero = await created({ metric: 'storage_mb', limit: 0 });
      expect(zero).toMatchObject({ limit: 0, kind: 'gauge' });
    });

    it('keeps large limits exact (bigint column, integer in JSON)', async () => {
      const big = await created({ metric: 'api_calls', limit: Number.MAX_SAFE_INTEGER });
      expect(big.limit).toBe(Number.MAX_SAFE_INTEGER);
      expect((await t.api.get(`/v1/policies/${big.id}`, admin())).body.limit).toBe(Number.MAX_SAFE_INTEGER);
    });

    it('stores custom warning thresholds sorted and without duplicates', async () => {
      const res = await created({ metric: 'api_calls', limit: 100, warningThresholds: [100, 50, 90, 50] });
      expect(res.warningThresholds).toEqual([50, 90, 100]);
      const none = await created({ metric: 'api_calls', limit: 100, warningThresholds: [] });
      expect(none.warningThresholds).toEqual([]);
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['an upper-case metric key', { metric: 'Max_Users', limit: 1 }, ['metric']],
      ['a metric key with a space', { metric: 'max users', limit: 1 }, ['metric']],
      ['a metric key with a dash', { metric: 'api-calls', limit: 1 }, ['metric']],
      ['a metric key starting with a digit', { metric: '1calls', limit: 1 }, ['metric']],
      ['an empty metric key', { metric: '', limit: 1 }, ['metric']],
      ['a metric key of 64 characters', { metric: `a${'b'.repeat(63)}`, limit: 1 }, ['metric']],
      ['a numeric metric', { metric: 42, limit: 1 }, ['metric']],
      ['no metric', { limit: 1 }, ['metric']],
      ['a negative limit', { metric: 'api_calls', limit: -1 }, ['limit']],
      ['a fractional limit', { metric: 'api_calls', limit: 1.5 }, ['limit']],
      ['a string limit', { metric: 'api_calls', limit: '10' }, ['limit']],
      ['a boolean limit', { metric: 'api_calls', limit: true }, ['limit']],
      ['a limit beyond the safe integers', { metric: 'api_calls', limit: 2 ** 60 }, ['limit']],
      ['no limit at all (null must be explicit)', { metric: 'api_calls' }, ['limit']],
      ['an unknown enforcement', { metric: 'api_calls', limit: 1, enforcement: 'strict' }, ['enforcement']],
      ['a fractional threshold', { metric: 'api_calls', limit: 1, warningThresholds: [80.5] }, ['warningThresholds']],
      ['a zero threshold', { metric: 'api_calls', limit: 1, warningThresholds: [0, 100] }, ['warningThresholds']],
      ['thresholds that are not an array', { metric: 'api_calls', limit: 1, warningThresholds: 80 }, ['warningThresholds']],
      ['an unknown field', { metric: 'api_calls', limit: 1, color: 'red' }, ['color']],
      ['a client-chosen kind (derived, not writable)', { metric: 'api_calls', limit: 1, kind: 'gauge' }, ['kind']],
      ['a client-chosen id', { metric: 'api_calls', limit: 1, id: randomUUID() }, ['id']],
    ])('refuses %s: 400 validation_failed naming the field, nothing stored', async (_label, body, fields) => {
      const before = await countPolicies();
      expectInvalid(await post(body), fields);
      expect(await countPolicies()).toBe(before);
    });

    it('refuses a body that is not a JSON object', async () => {
      const res = await t.api.request('POST', '/v1/policies', undefined, { ...admin(), raw: '{"metric": "api_calls",' });
      expectProblem(res, 400, 'validation_failed');
    });
  });

  describe('GET /v1/policies/:id', () => {
    it('returns the policy to any signed-in user, with or without a tenant', async () => {
      const policy = await created({ metric: 'storage_mb', limit: 2048, enforcement: 'soft', warningThresholds: [50, 100] });
      for (const user of [platform, tenant, member, loner]) {
        const res = await t.api.get(`/v1/policies/${policy.id}`, { token: user.token });
        expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: policy });
      }
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expectProblem(await t.api.get(`/v1/policies/${randomUUID()}`, admin()), 404, 'not_found');
      const bad = await t.api.get('/v1/policies/not-a-uuid', admin());
      expectInvalid(bad, ['id']);
    });
  });

  describe('GET /v1/policies', () => {
    it('lists policies in creation order as { data, nextCursor }', async () => {
      const a = await created({ metric: 'api_calls', limit: 1 });
      const b = await created({ metric: 'api_calls', limit: 2 });
      const res = await t.api.get('/v1/policies?limit=100', { token: loner.token });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'nextCursor']);
      const ids = res.body.data.map((p: { id: string }) => p.id);
      expect(ids.indexOf(a.id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(b.id)).toBeGreaterThan(ids.indexOf(a.id));
      expect(res.body.data.find((p: { id: string }) => p.id === b.id)).toEqual(b);
    });

    it('pages with limit and nextCursor through every policy exactly once', async () => {
      for (let i = 0; i < 5; i++) await created({ metric: 'api_calls', limit: 1000 + i });
      const total = await countPolicies();
      expect(total).toBeGreaterThanOrEqual(5);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: ApiResponse = await t.api.get(`/v1/policies?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
          token: member.token,
        });
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((p: { id: string }) => p.id));
        cursor = res.body.nextCursor;
        if (cursor !== null) expect(res.body.data).toHaveLength(2);
        pages++;
      } while (cursor && pages < 1000);
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect(pages).toBe(Math.ceil(total / 2));
    });

    it('defaults to 20 per page', async () => {
      while ((await countPolicies()) < 21) await created({ metric: 'api_calls', limit: 7 });
      const res = await t.api.get('/v1/policies', admin());
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(20);
      expect(res.body.nextCursor).toEqual(expect.any(String));
    });

    it.each(['limit=0', 'limit=101', 'limit=abc', 'cursor=garbage', 'unknown=1'])('refuses ?%s with 400', async (query) => {
      expectProblem(await t.api.get(`/v1/policies?${query}`, admin()), 400, 'validation_failed');
    });
  });

  describe('PATCH /v1/policies/:id', () => {
    it('edits limit, enforcement, thresholds and name; metric, kind and createdAt stay', async () => {
      const policy = await created({ metric: 'max_users', limit: 3 });
      const res = await patch(policy.id, { limit: 25, enforcement: 'soft', warningThresholds: [100, 75], name: 'Team of 25' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...policy,
        name: 'Team of 25',
        limit: 25,
        enforcement: 'soft',
        warningThresholds: [75, 100],
        updatedAt: expect.stringMatching(ISO),
      });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(policy.updatedAt));
      expect((await t.api.get(`/v1/policies/${policy.id}`, { token: member.token })).body).toEqual(res.body);
    });

    it('keeps a generated name in step with the limit, but never overwrites a chosen name', async () => {
      const generated = await created({ metric: 'max_users', limit: 3 });
      expect((await patch(generated.id, { limit: 30 })).body.name).toBe('max_users ≤ 30');
      expect((await patch(generated.id, { limit: null })).body.name).toBe('max_users unlimited');
      const named = await created({ metric: 'max_users', limit: 3, name: 'Small team' });
      expect((await patch(named.id, { limit: 30 })).body.name).toBe('Small team');
      expect((await patch(named.id, { limit: 40, name: 'Bigger team' })).body).toMatchObject({ name: 'Bigger team', limit: 40 });
    });

    it('sets a limit to null (unlimited) and back; an empty body changes nothing', async () => {
      const policy = await created({ metric: 'api_calls', limit: 500 });
      const unlimited = await patch(policy.id, { limit: null });
      expect(unlimited.status).toBe(200);
      expect(unlimited.body.limit).toBeNull();
      const limited = await patch(policy.id, { limit: 10 });
      expect(limited.body.limit).toBe(10);
      const empty = await patch(policy.id, {});
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual(limited.body);
      const same = await patch(policy.id, { limit: 10, enforcement: 'hard', warningThresholds: [100, 80] });
      expect(same.body).toEqual(limited.body);
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['a negative limit', { limit: -5 }, ['limit']],
      ['a fractional limit', { limit: 0.5 }, ['limit']],
      ['a string limit', { limit: 'many' }, ['limit']],
      ['an unknown enforcement', { enforcement: 'maybe' }, ['enforcement']],
      ['a changed metric (not editable)', { metric: 'storage_mb' }, ['metric']],
      ['a changed kind (not editable)', { kind: 'gauge' }, ['kind']],
      ['an unknown field', { limits: 3 }, ['limits']],
      ['an empty name', { name: '' }, ['name']],
    ])('refuses %s with 400 and leaves the policy as it was', async (_label, body, fields) => {
      const policy = await created({ metric: 'api_calls', limit: 9 });
      expectInvalid(await patch(policy.id, body), fields);
      expect((await t.api.get(`/v1/policies/${policy.id}`, admin())).body).toEqual(policy);
    });

    it('answers 404 for an unknown policy', async () => {
      expectProblem(await patch(randomUUID(), { limit: 1 }), 404, 'not_found');
    });
  });

  describe('who may write', () => {
    it('refuses anonymous callers with 401 on every route', async () => {
      const policy = await created({ metric: 'api_calls', limit: 1 });
      expectProblem(await t.api.get('/v1/policies'), 401, 'unauthenticated');
      expectProblem(await t.api.get(`/v1/policies/${policy.id}`), 401, 'unauthenticated');
      expectProblem(await t.api.post('/v1/policies', { metric: 'api_calls', limit: 1 }), 401, 'unauthenticated');
      expectProblem(await t.api.patch(`/v1/policies/${policy.id}`, { limit: 2 }), 401, 'unauthenticated');
      expectProblem(await t.api.get('/v1/policies', { token: 'not-a-jwt' }), 401, 'unauthenticated');
    });

    it('refuses tenant admins, tenant users and tenant-less users with 403 on writes, and changes nothing', async () => {
      const policy = await created({ metric: 'api_calls', limit: 1 });
      const before = await countPolicies();
      for (const [user, tenantId] of [
        [tenant, tenant.tenantId],
        [member, tenant.tenantId],
        [loner, undefined],
      ] as const) {
        expectProblem(await post({ metric: 'api_calls', limit: 1 }, { token: user.token, tenant: tenantId }), 403, 'forbidden');
        expectProblem(await patch(policy.id, { limit: 99 }, { token: user.token, tenant: tenantId }), 403, 'forbidden');
      }
      expect(await countPolicies()).toBe(before);
      expect((await t.api.get(`/v1/policies/${policy.id}`, admin())).body).toEqual(policy);
    });

    it('checks the caller before the body: a tenant admin with an invalid body is still 403', async () => {
      expectProblem(await post({ metric: 'BAD' }, { token: tenant.token }), 403, 'forbidden');
    });
  });

  describe('audit', () => {
    it('records policy.created and policy.updated with before/after and the acting platform admin', async () => {
      const policy = await created({ metric: 'storage_mb', limit: 100 });
      const updated = (await patch(policy.id, { limit: 200, enforcement: 'soft' })).body;
      const entriesOf = async (action: string) => {
        const res = await t.api.get(`/v1/admin/audit-logs?limit=100&action=${action}`, admin());
        expect(res.status).toBe(200);
        return res.body.data.filter((e: { targetId: string }) => e.targetId === policy.id);
      };
      expect(await entriesOf('policy.created')).toEqual([
        {
          id: expect.stringMatching(UUID),
          tenantId: null,
          actorUserId: platform.userId,
          action: 'policy.created',
          targetType: 'policy',
          targetId: policy.id,
          before: null,
          after: policy,
          requestId: expect.any(String),
          createdAt: expect.stringMatching(ISO),
        },
      ]);
      expect(await entriesOf('policy.updated')).toEqual([
        expect.objectContaining({
          tenantId: null,
          actorUserId: platform.userId,
          targetType: 'policy',
          before: policy,
          after: updated,
        }),
      ]);
    });

    it('writes no audit entry for a refused write or a PATCH that changes nothing', async () => {
      const policy = await created({ metric: 'api_calls', limit: 1 });
      const count = async () =>
        (await ownerQuery<{ n: number }>(t, "select count(*)::int as n from audit_logs where action like 'policy.%'"))[0].n;
      const before = await count();
      expectProblem(await post({ metric: 'api_calls', limit: -1 }), 400, 'validation_failed');
      expectProblem(await post({ metric: 'api_calls', limit: 1 }, { token: tenant.token }), 403, 'forbidden');
      expectProblem(await patch(policy.id, { limit: 2 }, { token: tenant.token }), 403, 'forbidden');
      expect((await patch(policy.id, { limit: 1, name: policy.name })).status).toBe(200);
      expect(await count()).toBe(before);
    });
  });
});
