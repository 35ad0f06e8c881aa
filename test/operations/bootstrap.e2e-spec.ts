import { databaseUrl } from '../../src/database/setup.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { seed, SeedRefusedError } from '../../src/database/seed.js';
import type { AppConfig } from '../../src/config/config.js';
import { seedTools } from '../../src/seed-tools.js';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import pg from 'pg';
import { OWNER_URL, REDIS_URL } from '../support/env.js';
import { PASSWORD } from '../support/factories.js';

const LAUNCHER = fileURLToPath(new URL('../../dist/src/launcher.js', import.meta.url));
const ADMIN_PASSWORD = 'the-operators-own-password';

/** Runs the built `npm start` (dist/src/launcher.js) until it exits or `until` appears in its output. */
function launch(env: Record<string, string>, until?: RegExp) {
  const child = spawn(process.execPath, [LAUNCHER], {
    // Outside the repository: no .env is read, only this environment.
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const seen = new Promise<void>((resolve, reject) => {
    if (!until) return;
    child.stdout.on('data', () => until.test(stdout) && resolve());
    void exited.then((code) => reject(new Error(`launcher exited ${code}: ${stderr}${stdout}`)));
  });
  return {
    child,
    exited,
    seen,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

async function occupiedPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '0.0.0.0' }, resolve));
  return server;
}

describe('bootstrap', () => {
  let t: TestApp;
  const envFor = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: t.appUrl,
    DATABASE_OWNER_URL: t.ownerUrl,
    REDIS_URL,
    REDIS_PREFIX: t.config.REDIS_PREFIX,
    PLATFORM_ADMIN_EMAIL: t.config.PLATFORM_ADMIN_EMAIL,
    PLATFORM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...extra,
  });
  const seedWith = (overrides: Partial<AppConfig> = {}) => {
    const config = { ...t.config, SEED_DEMO: false, PLATFORM_ADMIN_PASSWORD: ADMIN_PASSWORD, ...overrides } as AppConfig;
    return seed(config, seedTools(config));
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('seed', () => {
    it('never promotes an account someone registered with PLATFORM_ADMIN_EMAIL first', async () => {
      const email = 'first-comer@example.test';
      const attacker = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Early bird' });
      expect(attacker.status).toBe(201);

      await expect(seedWith({ PLATFORM_ADMIN_EMAIL: email })).rejects.toThrow(SeedRefusedError);
      await expect(seedWith({ PLATFORM_ADMIN_EMAIL: email })).rejects.toThrow(/PLATFORM_ADMIN_ADOPT_EXISTING=true/);
      const me = await t.api.get('/v1/auth/me', { token: attacker.body.accessToken });
      expect(me.body.user.isPlatformAdmin).toBe(false);
      expect((await t.api.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    });

    it('adopts it only when told to: new password, sessions revoked, audited', async () => {
      const email = 'adopted@example.test';
      const owner = await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Someone' });
      const other = await t.api.post('/v1/auth/login', { email, password: PASSWORD });

      await seedWith({ PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_ADOPT_EXISTING: true });

      expect((await t.api.get('/v1/auth/me', { token: owner.body.accessToken })).status).toBe(401);
      expect((await t.api.get('/v1/auth/me', { token: other.body.accessToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/refresh', { refreshToken: owner.body.refreshToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);
      const admin = await t.api.post('/v1/auth/login', { email, password: ADMIN_PASSWORD });
      expect(admin.status).toBe(200);
      expect((await t.api.get('/v1/auth/me', { token: admin.body.accessToken })).body.user.isPlatformAdmin).toBe(true);
      const audit = await ownerQuery(
        t,
        `select action, target_id, after from audit_logs where action = 'platform.admin.adopted'`,
      );
      expect(audit).toEqual([
        {
          action: 'platform.admin.adopted',
          target_id: owner.body.user.id,
          after: { isPlatformAdmin: true, passwordReset: true, sessionsRevoked: 2 },
        },
      ]);

      // Once adopted it is the platform admin: later starts change nothing.
      await seedWith({ PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_ADOPT_EXISTING: true });
      expect((await t.api.get('/v1/auth/me', { token: admin.body.accessToken })).status).toBe(200);
    });

    it('in production, retires the published passwords a development start left (admin and demo accounts)', async () => {
      const email = 'dev-admin@example.test';
      await seedWith({ PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_PASSWORD: 'admin-password-123' });
      const demo = await ownerQuery<{ id: string }>(
        t,
        `insert into users (id, email, name, password_hash, is_platform_admin, created_at, updated_at)
         select gen_random_uuid(), 'alice@acme.test', 'Alice', password_hash, false, now(), now() from users where email = $1
         returning id`,
        [email],
      );
      expect(demo).toHaveLength(1);
      const before = await t.api.post('/v1/auth/login', { email, password: 'admin-password-123' });
      expect(before.status).toBe(200);

      await seedWith({ PLATFORM_ADMIN_EMAIL: email, NODE_ENV: 'production' });

      expect((await t.api.post('/v1/auth/login', { email, password: 'admin-password-123' })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email: 'alice@acme.test', password: 'admin-password-123' })).status).toBe(401);
      expect((await t.api.get('/v1/auth/me', { token: before.body.accessToken })).status).toBe(401);
      expect((await t.api.post('/v1/auth/login', { email, password: ADMIN_PASSWORD })).status).toBe(200);
      const audit = await ownerQuery(t, `select target_id from audit_logs where action = 'platform.password.retired'`);
      expect(audit).toHaveLength(2);
    });

    it('creates the platform admin when the address is free', async () => {
      const email = 'fresh-admin@example.test';
      await seedWith({ PLATFORM_ADMIN_EMAIL: email });
      const admin = await t.api.post('/v1/auth/login', { email, password: ADMIN_PASSWORD });
      expect((await t.api.get('/v1/auth/me', { token: admin.body.accessToken })).body.user.isPlatformAdmin).toBe(true);
    });
  });

  describe('npm start', () => {
    it('refuses a port in use with one sentence, before touching anything', async () => {
      const server = await occupiedPort();
      try {
        const port = (server.address() as AddressInfo).port;
        const run = launch(envFor({ PORT: String(port), DATABASE_OWNER_URL: 'postgres://postgres@127.0.0.1:1/never' }));
        expect(await run.exited).toBe(1);
        expect(run.stderr.trim()).toBe(
          `Port ${port} is already in use (another Eshtarek or another program); stop it or set PORT to a free port.`,
        );
        expect(run.stdout).not.toMatch(/running/);
      } finally {
        server.close();
      }
    });

    it('exits with one sentence when DATABASE_URL is wrong', async () => {
      const run = launch(envFor({ PORT: '0', DATABASE_URL: 'postgres://eshtarek_app@127.0.0.1:1/eshtarek' }));
      expect(await run.exited).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^PostgreSQL is not reachable at 127\.0\.0\.1:1 \(DATABASE_URL\)/);
      expect(run.stdout).not.toMatch(/running/);
    });

    it('exits with one sentence when DATABASE_URL signs in to a database without the schema', async () => {
      const wrong = new URL(t.appUrl);
      wrong.pathname = `${wrong.pathname}_noschema`;
      const run = launch(envFor({ PORT: '0', DATABASE_URL: wrong.toString(), SEED_DEMO: 'false' }));
      try {
        expect(await run.exited).toBe(1);
        expect(run.stderr.trim()).toMatch(
          /^DATABASE_URL points at 127\.0\.0\.1:5432\/\w+_noschema, which has no Eshtarek schema/,
        );
        expect(run.stdout).not.toMatch(/running/);
      } finally {
        // npm start created the database DATABASE_URL names (as on a first run); it is this test's to drop.
        const admin = new pg.Client({ connectionString: databaseUrl(OWNER_URL, 'postgres') });
        await admin.connect();
        await admin.query(`drop database if exists "${wrong.pathname.slice(1)}" with (force)`);
        await admin.end();
      }
    });

    it('refuses a bad boolean naming the variable', async () => {
      const run = launch(envFor({ PORT: '0', SEED_DEMO: 'yes' }));
      expect(await run.exited).toBe(1);
      expect(run.stderr).toMatch(/SEED_DEMO: must be true or false/);
    });

    it('refuses to start when PLATFORM_ADMIN_EMAIL belongs to an existing account', async () => {
      const email = 'squatter@example.test';
      await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Squatter' });
      const run = launch(envFor({ PORT: '0', PLATFORM_ADMIN_EMAIL: email, SEED_DEMO: 'false' }));
      expect(await run.exited).toBe(1);
      expect(run.stderr.trim()).toMatch(
        /^Refusing to start: an account with PLATFORM_ADMIN_EMAIL \(squatter@example\.test\) already exists/,
      );
      expect(run.stdout).not.toMatch(/running/);
    });

    it('in production: says "running" only once its own API answers, and prints no password', async () => {
      const email = 'prod-admin@example.test';
      await t.api.post('/v1/auth/register', { email, password: PASSWORD, name: 'Prior account' });
      const run = launch(
        envFor({
          NODE_ENV: 'production',
          PORT: '0',
          JWT_SECRET: 'a-production-secret-of-enough-length-0123456789',
          PLATFORM_ADMIN_EMAIL: email,
          PLATFORM_ADMIN_ADOPT_EXISTING: 'true',
        }),
        /Eshtarek is running on http:\/\/localhost:(\d+)/,
      );
      try {
        await run.seen;
        const port = /running on http:\/\/localhost:(\d+)/.exec(run.stdout)![1];
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
        expect(ready.status).toBe(200);
        expect(run.stdout).not.toContain(ADMIN_PASSWORD);
        expect(run.stdout).not.toContain('demo-password');
        const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: ADMIN_PASSWORD }),
        });
        expect(login.status).toBe(200);

        // A launcher killed outright leaves no API behind: its processes shut down when the channel closes.
        run.child.kill('SIGKILL');
        await run.exited;
        await eventually(() =>
          fetch(`http://127.0.0.1:${port}/health/live`).then(
            () => false,
            () => true,
          ),
        );
      } finally {
        run.child.kill('SIGKILL');
      }
    }, 60_000);
  });
});
