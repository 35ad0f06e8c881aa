import { createHmac } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';

/** Signs claims with the test app's secret, to forge tokens the server must still refuse. */
function forge(t: TestApp, claims: object, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc(header)}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', t.config.JWT_SECRET).update(body).digest('base64url')}`;
}

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', AUTH_MAX_ATTEMPTS_PER_ADDRESS: '60' });
  });
  afterAll(() => t.close());

  it('registers, signs in and answers /me', async () => {
    const email = uniqueEmail();
    const reg = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Ada' });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ user: { email, name: 'Ada', isPlatformAdmin: false }, expiresIn: 900 });
    const login = await t.api.post('/v1/auth/login', { email: email.toUpperCase(), password: PASSWORD });
    expect(login.status).toBe(200);
    const me = await t.api.get('/v1/auth/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: reg.body.user, memberships: [], invitations: [] });
  });

  // The suite runs with NODE_ENV=test's cheap cost (test/support/env.ts); that every other
  // environment refuses less than OWASP's 19 MiB and 2 passes is src/config/config.spec.ts's.
  it('stores passwords with argon2id at the configured parameters', async () => {
    const user = await registerUser(t.api);
    const [row] = await ownerQuery<{ password_hash: string }>(t, 'select password_hash from users where id = $1', [user.userId]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,p=1,t=\d+\$/);
    const [, m, time] = /m=(\d+),p=1,t=(\d+)/.exec(row.password_hash)!;
    expect({ m: Number(m), t: Number(time) }).toEqual({ m: t.config.ARGON2_MEMORY_KIB, t: t.config.ARGON2_TIME_COST });
  });

  it('refuses a duplicate email and short passwords', async () => {
    const user = await registerUser(t.api);
    const dup = await t.api.post('/v1/auth/register', { email: user.email, password: PASSWORD, name: 'Again' });
    expect(dup.status).toBe(409);
    const short = await t.api.post('/v1/auth/register', { email: uniqueEmail(), password: '123456789', name: 'Short' });
    expect(short.status).toBe(400);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    const user = await registerUser(t.api);
    const wrong = await t.api.post('/v1/auth/login', { email: user.email, password: 'wrong-password-1' });
    const unknown = await t.api.post('/v1/auth/login', { email: uniqueEmail(), password: 'wrong-password-1' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: any) => ({ ...b, requestId: undefined });
    expect(strip(unknown.body)).toEqual(strip(wrong.body));
  });

  it('rotates refresh tokens; a spent one revokes the whole session', async () => {
    const user = await registerUser(t.api);
    const first = await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(user.refreshToken);
    expect((await t.api.get('/v1/auth/me', { token: first.body.accessToken })).status).toBe(200);

    const reuse = await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken });
    expect(reuse.status).toBe(401);
    // The thief's replay ended the session: the newest tokens are dead too.
    expect((await t.api.get('/v1/auth/me', { token: first.body.accessToken })).status).toBe(401);
    expect((await t.api.post('/v1/auth/refresh', { refreshToken: first.body.refreshToken })).status).toBe(401);
  });

  it('never accepts a refresh token as an access token, nor a token of another type, issuer, audience or algorithm', async () => {
    const user = await registerUser(t.api);
    expect((await t.api.get('/v1/auth/me', { token: user.refreshToken })).status).toBe(401);
    const [, payload] = user.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ typ: 'access', iss: t.config.JWT_ISSUER, aud: t.config.JWT_AUDIENCE });
    expect((await t.api.get('/v1/auth/me', { token: forge(t, claims) })).status).toBe(200);
    expect((await t.api.get('/v1/auth/me', { token: forge(t, { ...claims, typ: 'refresh' }) })).status).toBe(401);
    expect((await t.api.get('/v1/auth/me', { token: forge(t, { ...claims, iss: 'someone-else' }) })).status).toBe(401);
    expect((await t.api.get('/v1/auth/me', { token: forge(t, { ...claims, aud: 'other-api' }) })).status).toBe(401);
    expect((await t.api.get('/v1/auth/me', { token: forge(t, { ...claims, exp: 1 }) })).status).toBe(401);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect((await t.api.get('/v1/auth/me', { token: none })).status).toBe(401);
    expect((await t.api.get('/v1/auth/me', { token: forge(t, claims, { alg: 'HS512', typ: 'JWT' }) })).status).toBe(401);
  });

  it('logout ends the session at once, access and refresh tokens alike', async () => {
    const user = await registerUser(t.api);
    const other = await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD });
    expect((await t.api.post('/v1/auth/logout', undefined, { token: user.token })).status).toBe(204);
    expect((await t.api.get('/v1/auth/me', { token: user.token })).status).toBe(401);
    expect((await t.api.post('/v1/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);
    // Only that session: the other device stays signed in.
    expect((await t.api.get('/v1/auth/me', { token: other.body.accessToken })).status).toBe(200);
  });

  it('password change revokes every other session and needs the current password', async () => {
    const user = await registerUser(t.api);
    const other = await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD });
    const wrong = await t.api.post(
      '/v1/auth/password',
      { currentPassword: 'not-it-at-all', newPassword: 'new-password-456' },
      { token: user.token },
    );
    expect(wrong.status).toBe(400);
    const ok = await t.api.post(
      '/v1/auth/password',
      { currentPassword: PASSWORD, newPassword: 'new-password-456' },
      { token: user.token },
    );
    expect(ok.status).toBe(204);
    expect((await t.api.get('/v1/auth/me', { token: other.body.accessToken })).status).toBe(401);
    expect((await t.api.post('/v1/auth/refresh', { refreshToken: other.body.refreshToken })).status).toBe(401);
    expect((await t.api.get('/v1/auth/me', { token: user.token })).status).toBe(200);
    expect((await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(401);
    expect((await t.api.post('/v1/auth/login', { email: user.email, password: 'new-password-456' })).status).toBe(200);
  });

  it('throttles failed sign-ins per account with 429 and Retry-After, even with the right password', async () => {
    const user = await registerUser(t.api);
    for (let i = 0; i < 3; i++) {
      expect((await t.api.post('/v1/auth/login', { email: user.email, password: 'wrong-password-1' })).status).toBe(401);
    }
    const blocked = await t.api.post('/v1/auth/login', { email: user.email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account is not affected.
    const other = await registerUser(t.api);
    expect((await t.api.post('/v1/auth/login', { email: other.email, password: PASSWORD })).status).toBe(200);
  });
});

describe('auth attempts per address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_MAX_ATTEMPTS_PER_ADDRESS: '5' });
  });
  afterAll(() => t.close());

  it('answers 429 past the configured sign-in + registration attempts from one address', async () => {
    await registerUser(t.api);
    for (let i = 0; i < 4; i++) await t.api.post('/v1/auth/login', { email: uniqueEmail(), password: 'whatever-123' });
    const res = await t.api.post('/v1/auth/register', { email: uniqueEmail(), password: PASSWORD, name: 'Late' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('rate_limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
