import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import { createPlatformAdmin, PASSWORD, registerUser, SignedIn, uniqueEmail } from '../support/factories.js';

/** The ops dashboard (Bull Board) signs in through its own page into a short, revocable server-side session. */
describe('ops dashboard sign-in', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', AUTH_MAX_ATTEMPTS_PER_ADDRESS: '200' });
    admin = await createPlatformAdmin(t);
  });
  afterAll(() => t.close());

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  /** Posts the sign-in form as a browser would. */
  const signIn = (email: string, password: string, headers: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: form({ email, password }),
    });

  /** The `eshtarek_ops=…` pair of a sign-in answer, ready for a Cookie header. */
  const cookieOf = (res: Response) => {
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^eshtarek_ops=/);
    return setCookie.split(';')[0];
  };

  const board = (cookie: string, path = '/admin/queues/api/queues', init: RequestInit = {}) =>
    fetch(`${t.baseUrl}${path}`, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers ?? {}) } });

  async function opsCookie(user: SignedIn = admin, password = PASSWORD): Promise<string> {
    const res = await signIn(user.email, password);
    expect(res.status).toBe(303);
    return cookieOf(res);
  }

  it('sends a browser without a session to the sign-in page, refuses API calls, and no longer speaks HTTP Basic', async () => {
    const page = await fetch(`${t.baseUrl}/admin/queues`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');

    const api = await fetch(`${t.baseUrl}/admin/queues/api/queues`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(api.headers.get('www-authenticate')).toBeNull();

    const basic = Buffer.from(`${admin.email}:${PASSWORD}`).toString('base64');
    const withBasic = await fetch(`${t.baseUrl}/admin/queues/api/queues`, { headers: { authorization: `Basic ${basic}` } });
    expect(withBasic.status).toBe(401);

    const login = await fetch(`${t.baseUrl}/admin/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(await login.text()).toMatch(/<form method="post" action="\/admin\/login">/);
  });

  it('signs a platform admin in with an httpOnly, SameSite=Strict, short-lived cookie that opens Bull Board', async () => {
    const res = await signIn(admin.email.toUpperCase(), PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/queues');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Strict/i);
    expect(setCookie).toMatch(/; Path=\/admin/);
    expect(setCookie).toMatch(/; Max-Age=1800/);
    // Plain http on this machine: a browser would drop a Secure cookie, so it is not marked.
    expect(setCookie).not.toMatch(/; Secure/i);

    const cookie = cookieOf(res);
    const queues = await board(cookie);
    expect(queues.status).toBe(200);
    expect(JSON.stringify(await queues.json())).toContain('maintenance');
    expect((await board(cookie, '/admin/queues', { headers: { accept: 'text/html' } })).status).toBe(200);

    // The cookie names a server-side session of 30 minutes.
    const [session] = await ownerQuery<{ ttl: number }>(
      t,
      `select extract(epoch from expires_at - created_at)::int as ttl from sessions
        where user_id = $1 and revoked_at is null order by created_at desc limit 1`,
      [admin.userId],
    );
    expect(session.ttl).toBe(1800);
  });

  it('marks the cookie Secure on any host but this machine', async () => {
    const setCookie = await new Promise<string>((resolve, reject) => {
      const body = form({ email: admin.email, password: PASSWORD });
      const req = httpRequest(
        `${t.baseUrl}/admin/login`,
        {
          method: 'POST',
          headers: {
            host: 'ops.example.com',
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie'] ?? ''));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(setCookie).toMatch(/^eshtarek_ops=.*; Secure/i);
  });

  it('answers a wrong password and an unknown email alike, and refuses accounts that are not platform admins', async () => {
    const wrong = await signIn(admin.email, 'not-the-password-1');
    const unknown = await signIn(uniqueEmail(), 'not-the-password-1');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const strip = (html: string) => html.replace(/\s+/g, ' ');
    expect(strip(await unknown.text())).toBe(strip(await wrong.text()));

    const user = await registerUser(t.api);
    const notAdmin = await signIn(user.email, PASSWORD);
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.headers.get('set-cookie')).toBeNull();
    // An ordinary user's access token does not open the board either.
    const bearer = await fetch(`${t.baseUrl}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(bearer.status).toBe(401);
  });

  it('takes as long for an unknown email as for a platform admin with a wrong password (decoy hash)', async () => {
    const timed = async (email: string) => {
      const started = performance.now();
      expect((await signIn(email, 'not-the-password-1')).status).toBe(401);
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      const target = await createPlatformAdmin(t);
      known.push(await timed(target.email));
      unknown.push(await timed(uniqueEmail('nobody')));
    }
    // HTTP Basic answered an unknown email 7× faster (8 ms vs 57 ms); both now verify one argon2 hash.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('shares the per-account sign-in limit with POST /v1/auth/login: 429 with Retry-After, even with the right password', async () => {
    const target = await createPlatformAdmin(t);
    expect((await t.api.post('/v1/auth/login', { email: target.email, password: 'not-the-password-1' })).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await signIn(target.email, 'not-the-password-1')).status).toBe(401);
    const blocked = await signIn(target.email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.get('set-cookie')).toBeNull();
    expect((await t.api.post('/v1/auth/login', { email: target.email, password: PASSWORD })).status).toBe(429);
  });

  it('counts concurrent guesses before checking them: 25 at once → no more than the limit are checked', async () => {
    const target = await createPlatformAdmin(t);
    const answers = await Promise.all(Array.from({ length: 25 }, () => signIn(target.email, 'not-the-password-1')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(22);
  });

  it('signing out revokes the session at once', async () => {
    const cookie = await opsCookie();
    const out = await fetch(`${t.baseUrl}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin/login');
    expect(out.headers.get('set-cookie')).toMatch(/^eshtarek_ops=;/);
    expect((await board(cookie)).status).toBe(401);
    const [row] = await ownerQuery<{ revoked_reason: string }>(
      t,
      `select revoked_reason from sessions where user_id = $1 order by revoked_at desc nulls last limit 1`,
      [admin.userId],
    );
    expect(row.revoked_reason).toBe('logout');

    // Bull Board's "Sign out" link is a GET: it works the same way.
    const other = await opsCookie();
    expect((await fetch(`${t.baseUrl}/admin/logout`, { redirect: 'manual', headers: { cookie: other } })).status).toBe(303);
    expect((await board(other)).status).toBe(401);
  });

  it('a password change ends the ops session and the old password at once (nothing is cached)', async () => {
    const owner = await createPlatformAdmin(t);
    const cookie = await opsCookie(owner);
    expect((await board(cookie)).status).toBe(200);
    const changed = await t.api.post(
      '/v1/auth/password',
      { currentPassword: PASSWORD, newPassword: 'a-fresh-passphrase-77' },
      { token: owner.token },
    );
    expect(changed.status).toBe(204);
    expect((await board(cookie)).status).toBe(401);
    expect((await signIn(owner.email, PASSWORD)).status).toBe(401);
    expect((await signIn(owner.email, 'a-fresh-passphrase-77')).status).toBe(303);
  });

  it('refuses an expired session, a demoted admin, and a forged or expiry-less token', async () => {
    const owner = await createPlatformAdmin(t);
    const cookie = await opsCookie(owner);
    await ownerQuery(
      t,
      `update sessions set expires_at = now() - interval '1 second' where user_id = $1 and expires_at < now() + interval '1 hour'`,
      [owner.userId],
    );
    expect((await board(cookie)).status).toBe(401);

    const demoted = await createPlatformAdmin(t);
    const demotedCookie = await opsCookie(demoted);
    await ownerQuery(t, 'update users set is_platform_admin = false where id = $1', [demoted.userId]);
    expect((await board(demotedCookie)).status).toBe(401);

    // A platform admin's access token is still accepted, but not one signed without `exp`.
    expect(
      (await fetch(`${t.baseUrl}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${admin.token}` } })).status,
    ).toBe(200);
    const claims = JSON.parse(Buffer.from(admin.token.split('.')[1], 'base64url').toString());
    delete claims.exp;
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
    const forever = `${body}.${createHmac('sha256', t.config.JWT_SECRET).update(body).digest('base64url')}`;
    expect(
      (await fetch(`${t.baseUrl}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${forever}` } })).status,
    ).toBe(401);
    // An access token is not an ops cookie, nor the reverse.
    expect((await board(`eshtarek_ops=${admin.token}`)).status).toBe(401);
    const opsToken = (await opsCookie()).split('=')[1];
    expect((await t.api.get('/v1/auth/me', { token: opsToken })).status).toBe(401);
  });

  it('records every write action in the audit log with its actor (add, retry, clean, promote, pause…)', async () => {
    const cookie = await opsCookie();
    const json = { 'content-type': 'application/json' };
    const calls: [string, string, unknown?][] = [
      ['POST', '/admin/queues/api/queues/maintenance/add', { name: 'ops-test', data: {}, options: { delay: 60_000 } }],
      ['PUT', '/admin/queues/api/queues/maintenance/promote'],
      ['PUT', '/admin/queues/api/queues/maintenance/retry/failed'],
      ['PUT', '/admin/queues/api/queues/maintenance/clean/completed'],
      ['PUT', '/admin/queues/api/queues/maintenance/pause'],
      ['PUT', '/admin/queues/api/queues/maintenance/resume'],
    ];
    const requestIds: string[] = [];
    for (const [method, path, body] of calls) {
      const res = await board(cookie, path, { method, ...(body ? { headers: json, body: JSON.stringify(body) } : {}) });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      requestIds.push(res.headers.get('x-request-id')!);
    }
    const rows = await ownerQuery<{
      action: string;
      actor_user_id: string;
      target_type: string;
      target_id: string;
      tenant_id: null;
      request_id: string;
    }>(
      t,
      `select action, actor_user_id, target_type, target_id, tenant_id, request_id
         from audit_logs where action like 'ops.queue.%' order by created_at`,
    );
    expect(rows.map((r) => r.request_id)).toEqual(requestIds);
    expect(rows.map((r) => r.action)).toEqual([
      'ops.queue.add',
      'ops.queue.promote',
      'ops.queue.retry',
      'ops.queue.clean',
      'ops.queue.pause',
      'ops.queue.resume',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ actor_user_id: admin.userId, target_type: 'queue', target_id: 'maintenance', tenant_id: null });
    }
    // Reads are not audited; a refused write is not either (it never ran).
    expect((await board(cookie, '/admin/queues/api/queues')).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/admin/queues/api/queues/maintenance/pause`, { method: 'PUT' })).status).toBe(401);
    const [{ count }] = await ownerQuery<{ count: string }>(t, `select count(*) from audit_logs where action like 'ops.queue.%'`);
    expect(Number(count)).toBe(rows.length);
  });

  it('answers hostile paths and bodies on the board with a 400 problem, never a 500', async () => {
    // An admin of its own: a refused write may still leave its audit entry (written before the body is read).
    const other = await createPlatformAdmin(t);
    const headers = { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' };
    let deep = '1';
    for (let i = 0; i < 100; i++) deep = `[${deep}]`;
    for (const [method, path, body] of [
      ['PUT', '/admin/queues/api/queues/%00/pause', undefined],
      ['PUT', '/admin/queues/api/queues/renewals/clean/%00', undefined],
      ['GET', '/admin/queues/api/queues?activeQueue=%00', undefined],
      ['POST', '/admin/queues/api/queues/renewals/add', `{"name":"x","data":${deep}}`],
    ] as const) {
      const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body });
      expect({ method, path, status: res.status, type: res.headers.get('content-type') }).toEqual({
        method,
        path,
        status: 400,
        type: expect.stringContaining('application/problem+json'),
      });
    }
  });
});
