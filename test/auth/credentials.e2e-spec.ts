import { createHmac } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { createTenantWithAdmin, expectProblem, PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';

/** No side door around sign-in: limits that cannot be raced, credentials never replayed, passwords worth the name. */
describe('credential hardening', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', AUTH_MAX_ATTEMPTS_PER_ADDRESS: '300' });
  });
  afterAll(() => t.close());

  describe('per-account attempt limit', () => {
    it('cannot be raced: 25 concurrent wrong passwords → 3 × 401, then 429s', async () => {
      const user = await registerUser(t.api);
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => t.api.post('/v1/auth/login', { email: user.email, password: 'wrong-password-1' })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(22);
      expectProblem(
        answers.find((a) => a.status === 429)!,
        429,
        'rate_limited',
      );
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(429);
    });

    it('is cleared by a correct password', async () => {
      const user = await registerUser(t.api);
      for (let i = 0; i < 2; i++) {
        expect((await t.api.post('/v1/auth/login', { email: user.email, password: 'wrong-password-1' })).status).toBe(401);
      }
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        expect((await t.api.post('/v1/auth/login', { email: user.email, password: 'wrong-password-1' })).status).toBe(401);
      }
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(429);
    });

    it('also counts wrong current passwords at POST /v1/auth/password (the same counter as sign-in)', async () => {
      const user = await registerUser(t.api);
      const change = (currentPassword: string) =>
        t.api.post('/v1/auth/password', { currentPassword, newPassword: 'a-fresh-passphrase-77' }, { token: user.token });
      for (let i = 0; i < 3; i++) expectProblem(await change('not-it-at-all-1'), 400, 'validation_failed');
      const blocked = await change(PASSWORD);
      expectProblem(blocked, 429, 'rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(429);
    });
  });

  describe('idempotency never stores or replays a credential', () => {
    const keyCount = async () => Number((await ownerQuery<{ n: string }>(t, 'select count(*) as n from idempotency_keys'))[0].n);

    it('a spent refresh token replayed with the same Idempotency-Key is 401 and revokes its session', async () => {
      const user = await registerUser(t.api);
      const key = { idempotencyKey: 'refresh-once' };
      const first = await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken }, key);
      expect(first.status).toBe(200);
      const replay = await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken }, key);
      expectProblem(replay, 401, 'unauthenticated');
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
      expect((await t.api.get('/v1/auth/me', { token: first.body.accessToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: first.body.refreshToken })).status).toBe(401);
    });

    it('register, login, refresh and API key creation keep no idempotency record and answer anew', async () => {
      const before = await keyCount();
      const email = uniqueEmail();
      const body = { email, password: PASSWORD, name: 'Once' };
      expect((await t.api.post('/v1/auth/register', body, { idempotencyKey: 'reg' })).status).toBe(201);
      // Not a replay of the first answer (which held live tokens): a new request, refused as such.
      const again = await t.api.post('/v1/auth/register', body, { idempotencyKey: 'reg' });
      expectProblem(again, 409, 'conflict');

      const login = () => t.api.post('/v1/auth/login', { email, password: PASSWORD }, { idempotencyKey: 'login' });
      const [a, b] = [await login(), await login()];
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(b.body.refreshToken).not.toBe(a.body.refreshToken);

      const tenant = await createTenantWithAdmin(t.api);
      const create = () =>
        t.api.post(
          '/v1/api-keys',
          { name: 'ci', mode: 'test' },
          { token: tenant.token, tenant: tenant.tenantId, idempotencyKey: 'key' },
        );
      const [k1, k2] = [await create(), await create()];
      expect([k1.status, k2.status]).toEqual([201, 201]);
      expect(k1.body.secret).toMatch(/^sk_test_/);
      expect(k2.body.secret).toMatch(/^sk_test_/);
      expect(k2.body.id).not.toBe(k1.body.id);
      expect(k1.headers.get('cache-control')).toBe('no-store');

      expect(await keyCount()).toBe(before);
      const stored = await ownerQuery<{ body: string }>(
        t,
        'select coalesce(response_body::text, $1) as body from idempotency_keys',
        [''],
      );
      for (const { body: text } of stored) expect(text).not.toMatch(/accessToken|refreshToken|"secret"|rt_|sk_(test|live)_/);
    });

    it('documents the header as ignored on those routes', async () => {
      const doc = (await t.api.get('/docs-json')).body;
      for (const [path, op] of [
        ['/v1/auth/register', 'post'],
        ['/v1/auth/login', 'post'],
        ['/v1/auth/refresh', 'post'],
        ['/v1/api-keys', 'post'],
      ]) {
        const headers = doc.paths[path][op].parameters.filter((p: { name: string }) => p.name === 'Idempotency-Key');
        expect(headers).toEqual([expect.objectContaining({ description: expect.stringMatching(/^Ignored/) })]);
      }
      const tenants = doc.paths['/v1/tenants'].post.parameters.find((p: { name: string }) => p.name === 'Idempotency-Key');
      expect(tenants.description).toMatch(/^Replays/);
    });
  });

  describe('password policy', () => {
    it.each([
      ['1234567890', /too common/],
      ['          ', /only spaces/],
      ['password123', /too common/],
      ['qwertyuiop12', /too common/],
    ])('refuses %j at registration (400 naming password)', async (password, message) => {
      const res = await t.api.post('/v1/auth/register', { email: uniqueEmail(), password, name: 'Weak' });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'password', message: expect.stringMatching(message) }]);
    });

    it('refuses a password that is or contains the email or the name', async () => {
      const email = uniqueEmail('grace');
      const asEmail = await t.api.post('/v1/auth/register', { email, password: email, name: 'Grace' });
      expect(asEmail.body.errors).toEqual([{ field: 'password', message: expect.stringMatching(/email/) }]);
      const withName = await t.api.post('/v1/auth/register', {
        email: uniqueEmail(),
        password: 'grace hopper forever 1906',
        name: 'Grace Hopper',
      });
      expect(withName.body.errors).toEqual([{ field: 'password', message: expect.stringMatching(/name/) }]);
      expect((await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Grace Hopper' })).status).toBe(201);
    });

    it('applies at password change (400 naming newPassword); the old password keeps working', async () => {
      const user = await registerUser(t.api);
      for (const newPassword of ['1234567890', '          ', user.email]) {
        const res = await t.api.post('/v1/auth/password', { currentPassword: PASSWORD, newPassword }, { token: user.token });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'newPassword', message: expect.any(String) }]);
      }
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
    });
  });

  describe('tokens and caching', () => {
    const forge = (claims: object) => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
      return `${body}.${createHmac('sha256', t.config.JWT_SECRET).update(body).digest('base64url')}`;
    };

    it('refuses an access token without exp, even correctly signed for a live session', async () => {
      const user = await registerUser(t.api);
      const claims = JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString());
      expect((await t.api.get('/v1/auth/me', { token: forge(claims) })).status).toBe(200);
      const { exp: _exp, ...forever } = claims;
      expectProblem(await t.api.get('/v1/auth/me', { token: forge(forever) }), 401, 'unauthenticated');
      expect((await t.api.get('/v1/auth/me', { token: forge({ ...claims, exp: 'never' }) })).status).toBe(401);
    });

    it('sign-in answers and /v1/auth/me carry Cache-Control: no-store', async () => {
      const email = uniqueEmail();
      const reg = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Cache' });
      const login = await t.api.post('/v1/auth/login', { email, password: PASSWORD });
      const refresh = await t.api.post('/v1/auth/refresh', { refreshToken: login.body.refreshToken });
      const me = await t.api.get('/v1/auth/me', { token: login.body.accessToken });
      for (const res of [reg, login, refresh, me]) {
        expect(res.status).toBeLessThan(300);
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    });
  });
});
