import { startTestApp, TestApp } from '../support/app.js';
import { PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('registers, signs in and answers /me', async () => {
    const email = uniqueEmail();
    const reg = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Ada' });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ user: { email, name: 'Ada', isPlatformAdmin: false }, expiresIn: 900 });
    const login = await t.api.post('/v1/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    const me = await t.api.get('/v1/auth/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: reg.body.user, memberships: [] });
  });
});
