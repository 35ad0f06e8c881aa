import { databaseUrl } from '../../src/database/setup.js';
import pg from 'pg';
import { RedisClient } from '../../src/common/redis/redis.module.js';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { OWNER_URL } from '../support/env.js';
import { createPlatformAdmin, expectProblem, registerUser } from '../support/factories.js';

const DAY = 24 * 3600_000;

async function asMaintenance(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(OWNER_URL, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('health probes', () => {
    const database = () => new URL(t.ownerUrl).pathname.slice(1);

    it('are ready when PostgreSQL and Redis answer', async () => {
      const ready = await t.api.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, redis: { status: 'up' } } });
      expect((await t.api.get('/health/live')).body).toMatchObject({ status: 'ok' });
    });

    it('stay live without PostgreSQL, and readiness answers 503 naming the database', async () => {
      await asMaintenance(`alter database ${database()} allow_connections false`);
      await asMaintenance(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database()}'`);
      try {
        const live = await t.api.get('/health/live');
        expect(live.status).toBe(200);
        const ready = await t.api.get('/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.headers.get('content-type')).toMatch(/^application\/json/);
        expect(ready.body).toMatchObject({
          status: 'error',
          error: { database: { status: 'down' } },
          info: { redis: { status: 'up' } },
        });
        expect(ready.body.error.redis).toBeUndefined();
      } finally {
        await asMaintenance(`alter database ${database()} allow_connections true`);
      }
      expect((await t.api.get('/health/ready')).status).toBe(200);
    });

    it('answer 503 naming Redis when it is gone', async () => {
      const redis = t.app.get(RedisClient);
      redis.disconnect();
      try {
        expect((await t.api.get('/health/live')).status).toBe(200);
        const ready = await t.api.get('/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({ error: { redis: { status: 'down' } }, info: { database: { status: 'up' } } });
      } finally {
        await redis.connect();
      }
      expect((await t.api.get('/health/ready')).status).toBe(200);
    });
  });

  it('sends a CSP that does not upgrade plain-http asset requests (Swagger UI, Bull Board)', async () => {
    const res = await fetch(`${t.baseUrl}/docs`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  describe('error catalogue', () => {
    it('serves every code, its status and meaning', async () => {
      const res = await t.api.get('/problems');
      expect(res.status).toBe(200);
      const codes = res.body.data.map((p: { code: string }) => p.code);
      expect(codes).toEqual(
        expect.arrayContaining(['validation_failed', 'unauthenticated', 'not_found', 'conflict', 'internal']),
      );
      for (const entry of res.body.data) {
        expect(entry).toEqual({
          code: expect.any(String),
          status: expect.any(Number),
          title: expect.any(String),
          meaning: expect.any(String),
        });
      }
      expectProblem(await t.api.get('/problems/no_such_code'), 404, 'not_found');
    });

    it("resolves each problem's type against the API to its own entry", async () => {
      const user = await registerUser(t.api);
      const problems = [
        await t.api.get('/v1/nope'),
        await t.api.post('/v1/auth/register', { email: 'not-an-email' }),
        await t.api.get('/v1/auth/me'),
        await t.api.post('/v1/tenants', {}, { token: user.token }),
      ];
      expect(problems.map((p) => p.status)).toEqual([404, 400, 401, 400]);
      for (const problem of problems) {
        const entry = await fetch(new URL(problem.body.type, t.baseUrl));
        expect(entry.status).toBe(200);
        expect(await entry.json()).toMatchObject({ code: problem.body.code, status: problem.body.status });
      }
    });

    it('is linked from the OpenAPI document', async () => {
      const doc = (await t.api.get('/docs-json')).body;
      expect(doc.paths['/problems']).toBeDefined();
      expect(doc.paths['/problems/{code}']).toBeDefined();
      expect(doc.externalDocs).toMatchObject({ url: '/problems' });
      expect(doc.info.description).toContain('/problems');
    });
  });

  describe('application clock without CLOCK_CONTROL', () => {
    it('ignores an offset left in the database', async () => {
      const admin = await createPlatformAdmin(t);
      await ownerQuery(t, 'update app_clock set offset_ms = $1', [30 * DAY]);
      try {
        const clock = await t.api.get('/v1/admin/clock', { token: admin.token });
        expect(clock.body.controllable).toBe(false);
        expect(Math.abs(Date.parse(clock.body.now) - Date.now())).toBeLessThan(60_000);
      } finally {
        await ownerQuery(t, 'update app_clock set offset_ms = 0');
      }
    });

    it('answers PUT and DELETE with 409 and a hint', async () => {
      const admin = await createPlatformAdmin(t);
      const put = await t.api.request('PUT', '/v1/admin/clock', { now: '2040-01-01T00:00:00Z' }, { token: admin.token });
      expectProblem(put, 409, 'clock_control_off');
      expect(put.body.detail).toContain('CLOCK_CONTROL=true');
      expectProblem(await t.api.delete('/v1/admin/clock', { token: admin.token }), 409, 'clock_control_off');
    });
  });

  describe('CORS', () => {
    const preflight = (base: string, origin: string) =>
      fetch(`${base}/v1/auth/login`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,idempotency-key,x-tenant-id,authorization',
        },
      });

    it('is off by default: no CORS headers', async () => {
      const res = await preflight(t.baseUrl, 'https://app.example.com');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const get = await fetch(`${t.baseUrl}/health/live`, { headers: { origin: 'https://app.example.com' } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('answers preflights for the listed origins only', async () => {
      const cors = await startTestApp({ CORS_ORIGINS: 'https://app.example.com,http://localhost:5173' } as never);
      try {
        const ok = await preflight(cors.baseUrl, 'https://app.example.com');
        expect(ok.status).toBe(204);
        expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
        expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
        expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('idempotency-key'));
        expect(ok.headers.get('access-control-allow-credentials')).toBeNull();

        const refused = await preflight(cors.baseUrl, 'https://evil.example.com');
        expect(refused.headers.get('access-control-allow-origin')).toBeNull();

        const login = await fetch(`${cors.baseUrl}/v1/auth/login`, {
          method: 'POST',
          headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'nobody@example.test', password: 'wrong-password-1' }),
        });
        expect(login.status).toBe(401);
        expect(login.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
        expect(login.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
      } finally {
        await cors.close();
      }
    });
  });
});

describe('application clock with CLOCK_CONTROL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true' });
  });
  afterAll(() => t.close());

  it('moves forward with PUT and back to real time with DELETE', async () => {
    const admin = await createPlatformAdmin(t);
    const target = new Date(Date.now() + 40 * DAY).toISOString();
    const moved = await t.api.request('PUT', '/v1/admin/clock', { now: target }, { token: admin.token });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now)).toBeGreaterThanOrEqual(Date.parse(target));
    expectProblem(
      await t.api.request('PUT', '/v1/admin/clock', { now: new Date(Date.now() + DAY).toISOString() }, { token: admin.token }),
      409,
      'conflict',
    );

    const reset = await t.api.delete('/v1/admin/clock', { token: admin.token });
    expect(reset.status).toBe(200);
    expect(reset.body.controllable).toBe(true);
    expect(Math.abs(Date.parse(reset.body.now) - Date.now())).toBeLessThan(60_000);
    const clock = await t.api.get('/v1/admin/clock', { token: admin.token });
    expect(Math.abs(Date.parse(clock.body.now) - Date.now())).toBeLessThan(60_000);
    const again = await t.api.request(
      'PUT',
      '/v1/admin/clock',
      { now: new Date(Date.now() + DAY).toISOString() },
      { token: admin.token },
    );
    expect(again.status).toBe(200);
  });

  it('is for platform admins only', async () => {
    const user = await registerUser(t.api);
    expectProblem(await t.api.delete('/v1/admin/clock', { token: user.token }), 403, 'forbidden');
  });
});
