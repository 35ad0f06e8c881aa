import type { PlanDto } from '../../sdk/index.js';
import { createHash, randomUUID } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { addMember, createApiKey, createPlatformAdmin, expectProblem, fillPath, listRoutes } from '../support/factories.js';
import { eventCount, meteredPlan, meteredTenant, MeteredTenant, record } from './support.js';

/** The routes an API key may call (API.md: Metering); every other authenticated route refuses keys. */
const KEY_ROUTES = ['POST /v1/usage', 'GET /v1/usage', 'GET /v1/usage/history', 'GET /v1/entitlements/{metric}'];
const PUBLIC_ROUTES = [
  'POST /v1/auth/register',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'GET /health/live',
  'GET /health/ready',
  'GET /problems',
  'GET /problems/{code}',
];
const HISTORY = '/v1/usage/history?metric=api_calls&from=2021-01-01T00:00:00Z&to=2021-01-02T00:00:00Z';

describe('tenant API keys', () => {
  let t: TestApp;
  let adminToken: string;
  let plan: PlanDto;
  const asAdmin = (tenant: MeteredTenant) => ({ token: tenant.token, tenant: tenant.tenantId });

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = (await createPlatformAdmin(t)).token;
    plan = await meteredPlan(t, adminToken, [{ metric: 'api_calls', limit: 1000 }]);
  });
  afterAll(() => t.close());

  it('shows the secret once (sk_live_/sk_test_, 256-bit secret part), stores only its hash, lists it masked', async () => {
    const tenant = await meteredTenant(t, plan.id);
    const created = await t.api.post('/v1/api-keys', { name: '  CI runner ', mode: 'test' }, asAdmin(tenant));
    expect(created.status).toBe(201);
    const { secret, ...shown } = created.body;
    expect(secret).toMatch(/^sk_test_[0-9A-Za-z]{55}$/);
    expect(shown).toEqual({
      id: expect.any(String),
      name: 'CI runner',
      mode: 'test',
      maskedKey: `${secret.slice(0, 20)}…${secret.slice(-4)}`,
      last4: secret.slice(-4),
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(tenant.key).toMatch(/^sk_live_/);

    const list = await t.api.get('/v1/api-keys', asAdmin(tenant));
    expect(list.body.data.map((k: any) => k.id)).toEqual([shown.id, tenant.keyId]);
    expect(list.body.data[0]).toEqual(shown);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const [row] = await ownerQuery(t, 'select * from api_keys where id = $1', [shown.id]);
    expect(row.secret_hash).toEqual(createHash('sha256').update(secret).digest());
    expect(JSON.stringify(row)).not.toContain(secret.slice(20));
    const audit = await ownerQuery(t, `select after from audit_logs where action = 'api_key.created' and target_id = $1`, [
      shown.id,
    ]);
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(20));
    // The key works.
    expect((await record(t, secret, { metric: 'api_calls' })).status).toBe(201);
  });

  it('never replays a creation: the Idempotency-Key is ignored, each call is a new key shown once', async () => {
    const tenant = await meteredTenant(t, plan.id);
    const key = randomUUID();
    const first = await t.api.post('/v1/api-keys', { name: 'Once', mode: 'live' }, { ...asAdmin(tenant), idempotencyKey: key });
    const again = await t.api.post('/v1/api-keys', { name: 'Once', mode: 'live' }, { ...asAdmin(tenant), idempotencyKey: key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(first.body.secret).toMatch(/^sk_live_/);
    expect(again.body.secret).toMatch(/^sk_live_/);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);
    expect(await ownerQuery(t, 'select key from idempotency_keys where key = $1', [key])).toEqual([]);
  });

  it('lets tenant admins create and revoke keys; members only list them', async () => {
    const tenant = await meteredTenant(t, plan.id);
    const user = await addMember(t.api, tenant, 'tenant_user');
    const asUser = { token: user.token, tenant: tenant.tenantId };
    expectProblem(await t.api.post('/v1/api-keys', { name: 'x', mode: 'live' }, asUser), 403, 'forbidden');
    expectProblem(await t.api.delete(`/v1/api-keys/${tenant.keyId}`, asUser), 403, 'forbidden');
    expect((await t.api.get('/v1/api-keys', asUser)).body.data).toHaveLength(1);
    for (const body of [
      {},
      { name: 'x' },
      { mode: 'live' },
      { name: '', mode: 'live' },
      { name: 'x', mode: 'prod' },
      { name: 'x', mode: 'live', secret: 'sk_live_mine' },
    ]) {
      expectProblem(await t.api.post('/v1/api-keys', body, asAdmin(tenant)), 400, 'validation_failed');
    }
    expectProblem(await t.api.delete('/v1/api-keys/not-a-uuid', asAdmin(tenant)), 400, 'validation_failed');
    expectProblem(await t.api.delete(`/v1/api-keys/${randomUUID()}`, asAdmin(tenant)), 404, 'not_found');
  });

  it('acts only on the metering routes: every other authenticated route refuses a key with 403', async () => {
    const tenant = await meteredTenant(t, plan.id);
    const routes = await listRoutes(t.api);
    const docs = (await t.api.get('/docs-json')).body;
    const documentedForKeys = routes
      .filter((r) => (docs.paths[r.path][r.method.toLowerCase()].security ?? []).some((s: object) => 'apiKey' in s))
      .map((r) => `${r.method} ${r.path}`);
    expect(documentedForKeys.sort()).toEqual([...KEY_ROUTES].sort());

    const refused = routes.filter((r) => ![...KEY_ROUTES, ...PUBLIC_ROUTES].includes(`${r.method} ${r.path}`));
    expect(refused.length).toBeGreaterThan(40);
    for (const route of refused) {
      for (const tenantHeader of [undefined, tenant.tenantId]) {
        const res = await t.api.request(
          route.method,
          fillPath(route.path, tenant.tenantId),
          route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
          {
            token: tenant.key,
            tenant: tenantHeader,
          },
        );
        const label = `${route.method} ${route.path}`;
        expect({ label, status: res.status, code: res.body?.code }).toEqual({ label, status: 403, code: 'forbidden' });
      }
    }
    // Nothing was changed by the refused calls (e.g. no key minted, no member added).
    expect(await ownerQuery(t, 'select id from api_keys where tenant_id = $1', [tenant.tenantId])).toHaveLength(1);
    expect(await ownerQuery(t, 'select id from memberships where tenant_id = $1', [tenant.tenantId])).toHaveLength(1);

    for (const [method, path] of [
      ['POST', '/v1/usage'],
      ['GET', '/v1/usage'],
      ['GET', HISTORY],
      ['GET', '/v1/entitlements/api_calls'],
    ]) {
      const res = await t.api.request(method, path, method === 'POST' ? { metric: 'api_calls' } : undefined, {
        token: tenant.key,
      });
      expect({ path, status: res.status }).toEqual({ path, status: method === 'POST' ? 201 : 200 });
    }
  });

  it('acts for its own tenant only: a differing X-Tenant-Id is 403, the same one is fine', async () => {
    const a = await meteredTenant(t, plan.id, 'Key A');
    const b = await meteredTenant(t, plan.id, 'Key B');
    for (const [method, path] of [
      ['POST', '/v1/usage'],
      ['GET', '/v1/usage'],
      ['GET', HISTORY],
      ['GET', '/v1/entitlements/api_calls'],
    ]) {
      const body = method === 'POST' ? { metric: 'api_calls' } : undefined;
      expectProblem(await t.api.request(method, path, body, { token: a.key, tenant: b.tenantId }), 403, 'forbidden');
      expect((await t.api.request(method, path, body, { token: a.key, tenant: a.tenantId })).status).toBeLessThan(300);
      expectProblem(await t.api.request(method, path, body, { token: a.key, tenant: 'not-a-uuid' }), 400, 'validation_failed');
    }
    expect(await eventCount(t, a.tenantId)).toBe(1);
    expect(await eventCount(t, b.tenantId)).toBe(0);
  });

  it('refuses unknown, malformed and altered keys with 401', async () => {
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'api_calls' }); // the key is now known to the process
    const last = tenant.key.at(-1) === 'a' ? 'b' : 'a';
    for (const bad of [
      `${tenant.key.slice(0, -1)}${last}`, // right prefix, wrong secret
      tenant.key.replace('sk_live_', 'sk_test_'), // right secret, wrong mode
      `sk_live_${'A'.repeat(55)}`, // well-formed, unknown
      'sk_live_short',
      `${tenant.key}x`,
    ]) {
      expectProblem(await record(t, bad, { metric: 'api_calls' }), 401, 'unauthenticated');
      expectProblem(await t.api.get('/v1/entitlements/api_calls', { token: bad }), 401, 'unauthenticated');
    }
    expectProblem(await t.api.get('/v1/usage', { headers: { authorization: `Basic ${tenant.key}` } }), 401, 'unauthenticated');
    expect(await eventCount(t, tenant.tenantId)).toBe(1);
  });

  it('is refused from the next request after revocation, on every metering route', async () => {
    const tenant = await meteredTenant(t, plan.id);
    const spare = await createApiKey(t.api, tenant, 'live', 'Spare');
    expect((await record(t, tenant, { metric: 'api_calls' })).status).toBe(201);
    expect((await t.api.get(HISTORY, { token: tenant.key })).status).toBe(200);

    expect((await t.api.delete(`/v1/api-keys/${tenant.keyId}`, asAdmin(tenant))).status).toBe(204);
    expectProblem(await record(t, tenant, { metric: 'api_calls' }), 401, 'unauthenticated');
    expectProblem(await t.api.get('/v1/entitlements/api_calls', { token: tenant.key }), 401, 'unauthenticated');
    expectProblem(await t.api.get('/v1/usage', { token: tenant.key }), 401, 'unauthenticated');
    expectProblem(await t.api.get(HISTORY, { token: tenant.key }), 401, 'unauthenticated');
    expect(await eventCount(t, tenant.tenantId)).toBe(1);

    // Revoking again changes nothing; the listing shows when; the other key still works.
    expect((await t.api.delete(`/v1/api-keys/${tenant.keyId}`, asAdmin(tenant))).status).toBe(204);
    const listed = (await t.api.get('/v1/api-keys', asAdmin(tenant))).body.data.find((k: any) => k.id === tenant.keyId);
    expect(listed.revokedAt).toEqual(expect.any(String));
    expect((await record(t, spare.secret, { metric: 'api_calls' })).status).toBe(201);
    const audit = await ownerQuery(
      t,
      `select actor_user_id from audit_logs where action = 'api_key.revoked' and target_id = $1`,
      [tenant.keyId],
    );
    expect(audit).toEqual([{ actor_user_id: tenant.userId }]);
  });

  it('keeps last_used_at cheaply: set on first use, not rewritten within the minute', async () => {
    const tenant = await meteredTenant(t, plan.id);
    const lastUsed = async () =>
      (await ownerQuery(t, 'select last_used_at from api_keys where id = $1', [tenant.keyId]))[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    await t.api.get('/v1/entitlements/api_calls', { token: tenant.key });
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    for (let i = 0; i < 5; i++) await record(t, tenant, { metric: 'api_calls' });
    await t.api.get(HISTORY, { token: tenant.key });
    expect(await lastUsed()).toEqual(first);
    expect((await t.api.get('/v1/api-keys', asAdmin(tenant))).body.data[0].lastUsedAt).toBe(first.toISOString());
  });

  it("answers 403 tenant_suspended while the key's tenant is suspended, and works again after", async () => {
    const admin = await createPlatformAdmin(t);
    const tenant = await meteredTenant(t, plan.id);
    await record(t, tenant, { metric: 'api_calls' });
    expect((await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/suspend`, {}, { token: admin.token })).status).toBe(200);
    expectProblem(await record(t, tenant, { metric: 'api_calls' }), 403, 'tenant_suspended');
    expectProblem(await t.api.get('/v1/entitlements/api_calls', { token: tenant.key }), 403, 'tenant_suspended');
    expectProblem(await t.api.get('/v1/usage', { token: tenant.key }), 403, 'tenant_suspended');
    expectProblem(await t.api.get(HISTORY, { token: tenant.key }), 403, 'tenant_suspended');
    expect((await t.api.post(`/v1/admin/tenants/${tenant.tenantId}/reactivate`, {}, { token: admin.token })).status).toBe(200);
    expect((await record(t, tenant, { metric: 'api_calls' })).body.used).toBe(2);
  });
});
