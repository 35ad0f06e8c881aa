import type { PlanDto } from '../../sdk/index.js';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  addMember,
  createPlatformAdmin,
  expectProblem,
  fillPath,
  listRoutes,
  registerUser,
  RouteInfo,
  SignedIn,
} from '../support/factories.js';
import { meteredPlan, meteredTenant, MeteredTenant, record } from './support.js';

/** The tenant-scoped routes of the metering issue. */
const ISSUE_ROUTES = [
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{id}',
  'POST /v1/usage',
  'GET /v1/usage',
  'GET /v1/usage/history',
  'GET /v1/entitlements/{metric}',
  'GET /v1/notifications',
];
const day = 86_400_000;
/** The last 30 days and the next one (the clock is not moved here). */
const HISTORY = `/v1/usage/history?metric=api_calls&from=${new Date(Date.now() - 30 * day).toISOString()}&to=${new Date(Date.now() + day).toISOString()}`;

describe('metering: cross-tenant isolation over HTTP', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  let plan: PlanDto;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    const admin = (await createPlatformAdmin(t)).token;
    plan = await meteredPlan(t, admin, [{ metric: 'api_calls', limit: 10, warningThresholds: [10] }]);
    routes = (await listRoutes(t.api)).filter((r) => r.tenant && ISSUE_ROUTES.includes(`${r.method} ${r.path}`));
  });
  afterAll(() => t.close());

  interface World {
    a: MeteredTenant;
    b: MeteredTenant;
    bUser: SignedIn;
    outsider: SignedIn;
    secrets: string[];
  }

  /** A with usage, a warning, a notification and keys; B beside it. */
  async function world(): Promise<World> {
    const a = await meteredTenant(t, plan.id, 'Alpha Metered Secret');
    const b = await meteredTenant(t, plan.id, 'Bravo Metered');
    const bUser = await addMember(t.api, b, 'tenant_user');
    const outsider = await registerUser(t.api, 'outsider');
    await record(t, a, { metric: 'api_calls', quantity: 7, idempotencyKey: 'alpha-secret-key' });
    await eventually(
      async () => (await ownerQuery(t, 'select id from notifications where tenant_id = $1', [a.tenantId])).length === 1,
    );
    const [{ id: notificationId }] = await ownerQuery(t, 'select id from notifications where tenant_id = $1', [a.tenantId]);
    return {
      a,
      b,
      bUser,
      outsider,
      secrets: [
        'Alpha Metered Secret',
        a.tenantId,
        a.keyId,
        a.key,
        a.subscription.id,
        notificationId,
        'alpha-secret-key',
        a.email,
      ],
    };
  }

  const snapshotOf = async (tenantId: string) => ({
    keys: await ownerQuery(t, 'select id, name, revoked_at, last_used_at from api_keys where tenant_id = $1 order by id', [
      tenantId,
    ]),
    counters: await ownerQuery(t, 'select metric, period_start, used from usage_counters where tenant_id = $1 order by metric', [
      tenantId,
    ]),
    events: await ownerQuery(t, 'select id from usage_events where tenant_id = $1 order by id', [tenantId]),
    notifications: await ownerQuery(t, 'select id from notifications where tenant_id = $1 order by id', [tenantId]),
  });

  const pathFor = (route: RouteInfo, w: World) =>
    route.path === '/v1/usage/history'
      ? HISTORY
      : fillPath(route.path, route.path.includes('{metric}') ? 'api_calls' : w.a.keyId);
  const bodyFor = (route: RouteInfo) =>
    route.method === 'POST'
      ? route.path === '/v1/usage'
        ? { metric: 'api_calls' }
        : { name: 'Owned by B', mode: 'live' }
      : undefined;

  it('covers every tenant-scoped route of the issue', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...ISSUE_ROUTES].sort());
  });

  it("refuses B's admin, B's user, an outsider and B's API key on every route when they name tenant A", async () => {
    const w = await world();
    const before = await snapshotOf(w.a.tenantId);
    for (const route of routes) {
      for (const [who, token] of [
        ['B admin', w.b.token],
        ['B user', w.bUser.token],
        ['no tenant', w.outsider.token],
        ['B key', w.b.key],
      ] as const) {
        const res = await t.api.request(route.method, pathFor(route, w), bodyFor(route), { token, tenant: w.a.tenantId });
        const label = `${who}: ${route.method} ${route.path}`;
        expect({ label, status: res.status, code: res.body?.code }).toEqual({ label, status: 403, code: 'forbidden' });
        expect({ label, type: res.headers.get('content-type') }).toEqual({
          label,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        const text = JSON.stringify(res.body);
        for (const secret of w.secrets)
          expect({ label, leaks: text.includes(secret) ? secret : null }).toEqual({ label, leaks: null });
      }
    }
    expect(await snapshotOf(w.a.tenantId)).toEqual(before);
  });

  it("answers from B's own context without any of A: A's key id is 404, A's usage, history, warnings and keys unseen", async () => {
    const w = await world();
    const before = await snapshotOf(w.a.tenantId);
    const asB = { token: w.b.token, tenant: w.b.tenantId };
    expectProblem(await t.api.delete(`/v1/api-keys/${w.a.keyId}`, asB), 404, 'not_found');
    const views = [
      await t.api.get('/v1/api-keys?limit=100', asB),
      await t.api.get('/v1/usage', asB),
      await t.api.get('/v1/usage', { token: w.b.key }),
      await t.api.get(HISTORY, asB),
      await t.api.get(HISTORY, { token: w.b.key }),
      await t.api.get('/v1/entitlements/api_calls', { token: w.b.key }),
      await t.api.get('/v1/notifications?limit=100', asB),
    ];
    for (const res of views) {
      expect(res.status).toBe(200);
      for (const secret of w.secrets) expect(JSON.stringify(res.body)).not.toContain(secret);
    }
    expect(views[0].body.data.map((k: any) => k.id)).toEqual([w.b.keyId]);
    expect(views[1].body.metrics).toEqual([expect.objectContaining({ metric: 'api_calls', used: 0 })]);
    expect(views[3].body.buckets.every((b: any) => b.quantity === 0)).toBe(true);
    const aHistory = (await t.api.get(HISTORY, { token: w.a.key })).body.buckets;
    expect(aHistory.reduce((sum: number, b: any) => sum + b.quantity, 0)).toBe(7);
    expect(views[6].body.data).toEqual([]);

    // B reusing A's idempotency key is B's own, new report.
    const reused = await record(t, w.b, { metric: 'api_calls', quantity: 2, idempotencyKey: 'alpha-secret-key' });
    expect(reused.status).toBe(201);
    expect(reused.body.used).toBe(2);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();

    // A's key still works and sees only A.
    expect((await t.api.get('/v1/entitlements/api_calls', { token: w.a.key })).body.used).toBe(7);
    expect({
      ...(await snapshotOf(w.a.tenantId)),
      keys: before.keys.map((k: any) => ({ ...k, last_used_at: expect.anything() })),
    }).toEqual({
      ...before,
      keys: before.keys.map((k: any) => ({ ...k, last_used_at: expect.anything() })),
    });
  });
});
