import { startTestApp, TestApp } from '../support/app.js';
import { expectProblem, registerUser } from '../support/factories.js';

describe('API conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'error' });
  });
  afterAll(() => t.close());

  it('answers unknown routes with a problem-details 404', async () => {
    expectProblem(await t.api.get('/v1/nope'), 404, 'not_found');
  });

  it('answers malformed JSON with 400', async () => {
    expectProblem(await t.api.request('POST', '/v1/auth/login', undefined, { raw: '{"email": ' }), 400, 'validation_failed');
  });

  it('answers bodies over 1 MB with 413', async () => {
    const raw = JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(1024 * 1024) });
    expectProblem(await t.api.request('POST', '/v1/auth/login', undefined, { raw }), 413, 'payload_too_large');
  });

  it('refuses unknown body fields and lists field errors', async () => {
    const res = await t.api.post('/v1/auth/register', { email: 'not-an-email', password: 'short', name: 'x', admin: true });
    expectProblem(res, 400, 'validation_failed');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['admin', 'email', 'password']);
  });

  it('echoes a valid x-request-id and generates one otherwise', async () => {
    const given = await t.api.get('/health/live', { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const generated = await t.api.get('/health/live', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await t.api.get('/health/live');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('reports liveness and readiness of PostgreSQL and Redis', async () => {
    expect((await t.api.get('/health/live')).status).toBe(200);
    const ready = await t.api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    const doc = await t.api.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.paths['/v1/auth/login']).toBeDefined();
    const ui = await fetch(`${t.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('refuses fields sent to a POST that takes no body', async () => {
    const user = await registerUser(t.api);
    const res = await t.api.post('/v1/auth/logout', { everywhere: true }, { token: user.token });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ field: 'everywhere', message: 'everywhere is not allowed' }]);
    expect((await t.api.get('/v1/auth/me', { token: user.token })).status).toBe(200);
  });

  it('requires authentication on routes by default', async () => {
    expectProblem(await t.api.get('/v1/auth/me'), 401, 'unauthenticated');
    expectProblem(await t.api.get('/v1/auth/me', { token: 'not-a-jwt' }), 401, 'unauthenticated');
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer without doing the work again', async () => {
      const user = await registerUser(t.api);
      const key = `key-${Date.now()}`;
      const first = await t.api.post('/v1/tenants', { name: 'Once' }, { token: user.token, idempotencyKey: key });
      const again = await t.api.post('/v1/tenants', { name: 'Once' }, { token: user.token, idempotencyKey: key });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const me = await t.api.get('/v1/auth/me', { token: user.token });
      expect(me.body.memberships).toHaveLength(1);
    });

    it('refuses the same key with another body', async () => {
      const user = await registerUser(t.api);
      await t.api.post('/v1/tenants', { name: 'First' }, { token: user.token, idempotencyKey: 'k1' });
      expectProblem(
        await t.api.post('/v1/tenants', { name: 'Second' }, { token: user.token, idempotencyKey: 'k1' }),
        409,
        'idempotency_key_reused',
      );
    });

    it('does the work once when the same key arrives concurrently', async () => {
      const user = await registerUser(t.api);
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.api.post('/v1/tenants', { name: 'Race' }, { token: user.token, idempotencyKey: 'race' }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const me = await t.api.get('/v1/auth/me', { token: user.token });
      expect(me.body.memberships).toHaveLength(1);
    });

    it('keeps keys per caller', async () => {
      const a = await registerUser(t.api);
      const b = await registerUser(t.api);
      const ra = await t.api.post('/v1/tenants', { name: 'Same' }, { token: a.token, idempotencyKey: 'shared' });
      const rb = await t.api.post('/v1/tenants', { name: 'Same' }, { token: b.token, idempotencyKey: 'shared' });
      expect(rb.status).toBe(201);
      expect(rb.body.id).not.toBe(ra.body.id);
    });
  });
});
