import { startTestApp, TestApp } from '../support/app.js';
import { as, createPlan, createPlatformAdmin, createPolicy, expectProblem } from '../support/factories.js';
import { listOperations } from './openapi-support.js';

/**
 * Every field of every documented request body, sent as null: a field the document does not call
 * nullable is refused with a 400 naming it (PATCH {"name": null} used to reach a NOT NULL column).
 */
describe('null is refused where a field is not nullable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 400 naming the field, on every operation with a body', async () => {
    const admin = await createPlatformAdmin(t);
    const tenant = (await t.api.post('/v1/tenants', { name: 'Nulls' }, { token: admin.token })).body;
    const plan = await createPlan(t.api, admin.token);
    const policy = await createPolicy(t.api, admin.token, 'api_calls', 10);
    const ids: Record<string, string> = { '/v1/plans/': plan.id, '/v1/policies/': policy.id, '/v1/members/': admin.userId };
    const asAdmin = as(admin, tenant.id);
    let checked = 0;
    for (const op of listOperations()) {
      if (!op.body?.properties) continue;
      const id = Object.entries(ids).find(([prefix]) => op.path.startsWith(prefix))?.[1] ?? crypto.randomUUID();
      const path = op.path.replace(/\{[^}]+\}/g, id);
      for (const [field, schema] of Object.entries(op.body.properties)) {
        const res = await t.api.request(op.method, path, { [field]: null }, asAdmin);
        const where = `${op.method} ${op.path} ${field}`;
        expect({ where, server: res.status >= 500 }).toEqual({ where, server: false });
        if (schema.nullable) continue;
        expect({ where, status: res.status }).toEqual({ where, status: 400 });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    // The nullable ones still take null.
    const unlimited = await t.api.patch(`/v1/policies/${policy.id}`, { limit: null }, asAdmin);
    expect(unlimited.status).toBe(200);
    expect(unlimited.body.limit).toBeNull();
  });
});
