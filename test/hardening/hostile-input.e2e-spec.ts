import { connect } from 'node:net';
import { startTestApp, TestApp } from '../support/app.js';
import { as, createPlatformAdmin, createTenantWithAdmin, expectProblem, registerUser, SignedIn } from '../support/factories.js';

const wide = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
const deepObjectText = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const deepArrayText = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('hostile input: bounded, storable, answered with a 4xx', () => {
  let t: TestApp;
  let user: SignedIn;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t.api);
    admin = await createPlatformAdmin(t);
  });
  afterAll(() => t.close());

  it('refuses a body of 50,000 keys fast, with a short answer, while /health/live keeps answering', async () => {
    const started = Date.now();
    const [res, live] = await Promise.all([t.api.post('/v1/auth/refresh', wide(50_000)), t.api.get('/health/live')]);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ field: 'body', message: 'the body has more than 1000 fields' }]);
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    expect(live.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reports at most 20 field errors', async () => {
    const res = await t.api.post('/v1/auth/refresh', wide(900));
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(res.body).length).toBeLessThan(5_000);
  });

  it('refuses deep bodies on every kind of route, with or without an Idempotency-Key', async () => {
    const calls: [string, string, string | undefined][] = [
      ['/v1/auth/register', deepArrayText(5_000), undefined],
      ['/v1/auth/login', `{"email":${deepObjectText(50_000)}}`, 'deep-1'],
      ['/v1/tenants', `{"name":${deepObjectText(32)}}`, 'deep-2'],
      ['/v1/plans', `{"name":"x","extra":${deepObjectText(40)}}`, undefined],
    ];
    for (const [path, raw, idempotencyKey] of calls) {
      const res = await t.api.request('POST', path, undefined, { raw, token: admin.token, idempotencyKey });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors[0].message).toMatch(/nested deeper than 32 levels/);
    }
    // 32 levels are allowed through to the ordinary validation.
    const ok = await t.api.post(
      '/v1/tenants',
      { name: 'Deep enough', extra: JSON.parse(deepObjectText(31)) },
      { token: user.token },
    );
    expectProblem(ok, 400, 'validation_failed');
    expect(ok.body.errors).toEqual([{ field: 'extra', message: 'extra is not allowed' }]);
  });

  it('refuses NUL characters and lone surrogates in values, keys and query parameters, naming the field', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const asTenant = as(tenant);
    const cases: [Promise<any>, string][] = [
      [t.api.post('/v1/auth/register', { email: 'a\ud800@x.test', password: 'long-enough-password', name: 'A' }), 'email'],
      [t.api.post('/v1/auth/login', { email: 'a@x.test', password: 'p\u0000w' }), 'password'],
      [t.api.post('/v1/tenants', { name: 'Nul\u0000Corp' }, { token: user.token }), 'name'],
      [t.api.patch('/v1/tenant', { name: 'Lone \udc00' }, asTenant), 'name'],
      [t.api.post('/v1/plans', { code: 'p', name: 'P', description: 'x\u0000' }, { token: admin.token }), 'description'],
      [t.api.post('/v1/tenants', { ['na\u0000me']: 'x' }, { token: user.token }), 'na\ufffdme'],
      [t.api.get(`/v1/audit-logs?action=${encodeURIComponent('tenant.\u0000')}`, asTenant), 'action'],
      [t.api.get(`/v1/members?cursor=${encodeURIComponent('a\u0000')}`, asTenant), 'cursor'],
    ];
    for (const [call, field] of cases) {
      const res = await call;
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    // Well-formed astral characters (a surrogate pair) are fine.
    expect((await t.api.post('/v1/tenants', { name: 'Emoji 😀 Corp' }, { token: user.token })).status).toBe(201);
  });

  it('answers requests Node cannot parse (a NUL in a header, headers too large) with problem details', async () => {
    const { port } = new URL(t.baseUrl);
    const send = (head: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(`${head}\r\n\r\n`));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const nul = await send('POST /v1/tenants HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k\u0000y\r\nContent-Length: 0');
    expect(nul).toMatch(/^HTTP\/1\.1 400 /);
    expect(nul).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(nul.slice(nul.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'validation_failed' });
    const huge = await send(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it('takes only plain decimal integers in the query', async () => {
    for (const limit of ['0x10', '1e1', ' 16', '+16', '16.0', '0b1', '']) {
      const res = await t.api.get(`/v1/plans?limit=${encodeURIComponent(limit)}`, { token: user.token });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors[0].field).toBe('limit');
    }
    expect((await t.api.get('/v1/plans?limit=16', { token: user.token })).status).toBe(200);
  });

  it('answers over-long path parameters and malformed URLs with problem details', async () => {
    expectProblem(await t.api.get(`/v1/plans/${'a'.repeat(5_000)}`, { token: user.token }), 414, 'uri_too_long');
    expectProblem(await t.api.get('/v1/plans/%E0%A4%A', { token: user.token }), 400, 'validation_failed');
  });
});
