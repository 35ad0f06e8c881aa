import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestRedis } from '../support/redis-server.js';

/**
 * `npm run test:faults` (kept out of `npm test`: it takes about a minute). The whole platform as
 * `npm start` runs it (dist/src/launcher.js: API and worker processes), on a PostgreSQL cluster and
 * a Redis of its own that the test restarts and kills:
 * - during a PostgreSQL restart every request is answered, and every failure is a 503 with
 *   Retry-After — never a 500;
 * - when the worker dies the API keeps serving and the launcher restarts the worker with backoff;
 *   a worker restarted while Redis is down waits for it instead of exiting.
 */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const asPostgres = (args: string[]) => spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' });

class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<TestPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'eshtarek-faults-pg-'));
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    const pg = new TestPostgres(dir, await freePort());
    const init = asPostgres([`${PG_BIN}/initdb`, '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    await pg.ctl('start');
    return pg;
  }

  get ownerUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/eshtarek`;
  }

  /** pg_ctl, asynchronously: the test keeps sending requests meanwhile. */
  ctl(action: 'start' | 'restart' | 'stop'): Promise<void> {
    const args = [
      `${PG_BIN}/pg_ctl`,
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-m',
      'fast',
      '-w',
      action,
    ];
    return new Promise((resolve, reject) => {
      const child = spawn('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${action} failed (${code})`))));
    });
  }

  async destroy(): Promise<void> {
    await this.ctl('stop').catch(() => undefined); // perhaps already stopped
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `npm start`'s launcher on the test's own services, with its output kept for assertions. */
class Platform {
  output = '';
  private constructor(
    readonly launcher: ChildProcess,
    readonly port: number,
  ) {
    launcher.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    launcher.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(pg: TestPostgres, redis: TestRedis): Promise<Platform> {
    const port = await freePort();
    const launcher = spawn(process.execPath, ['dist/src/launcher.js'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        PORT: String(port),
        DATABASE_OWNER_URL: pg.ownerUrl,
        DATABASE_URL: `postgres://eshtarek_app@127.0.0.1:${pg.port}/eshtarek`,
        REDIS_URL: redis.url,
        REDIS_PREFIX: 'faults',
        LOG_LEVEL: 'warn',
        SEED_DEMO: 'true',
        RENEWAL_SCAN_EVERY_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const platform = new Platform(launcher, port);
    await platform.waitFor(/Eshtarek is running/, 90_000);
    return platform;
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output.slice(from))) {
      if (Date.now() > deadline) throw new Error(`not seen in time: ${pattern}\n${this.output.slice(-4000)}`);
      if (this.launcher.exitCode !== null)
        throw new Error(`the launcher exited (${this.launcher.exitCode})\n${this.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The pid of the launcher's child running `entry` (main.js or worker.js). */
  child(entry: string): number {
    const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(this.launcher.pid)], { encoding: 'utf8' }).stdout;
    const line = ps.split('\n').find((l) => l.includes(entry));
    if (!line) throw new Error(`no ${entry} under the launcher:\n${ps}`);
    return Number(line.trim().split(/\s+/)[0]);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    if (this.launcher.exitCode !== null) return;
    const exited = new Promise((resolve) => this.launcher.once('exit', resolve));
    this.launcher.kill('SIGTERM');
    await exited;
  }
}

interface Answer {
  url: string;
  status: number;
  retryAfter: string | null;
  code?: string;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = (await res.json().catch(() => undefined)) as { code?: string } | undefined;
  return { url: new URL(url).pathname, status: res.status, retryAfter: res.headers.get('retry-after'), code: body?.code };
}

describe('the platform under faults (npm start on its own PostgreSQL and Redis)', () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let platform: Platform;
  let token: string;

  beforeAll(async () => {
    pg = await TestPostgres.start();
    redis = await TestRedis.start();
    platform = await Platform.start(pg, redis);
    const login = await fetch(platform.url('/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@acme.test', password: 'demo-password-123' }),
    });
    expect(login.status).toBe(200);
    token = ((await login.json()) as { accessToken: string }).accessToken;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await redis?.stop();
    await pg?.destroy();
  });

  it('answers 503 with Retry-After, never 500, while PostgreSQL restarts', async () => {
    const answers: Answer[] = [];
    let restarting = true;
    const load = (async () => {
      while (restarting) {
        const batch = await Promise.all([
          call(platform.url('/v1/auth/me'), { headers: { authorization: `Bearer ${token}` } }),
          call(platform.url('/v1/plans'), { headers: { authorization: `Bearer ${token}` } }),
          call(platform.url('/v1/auth/login'), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'bob@acme.test', password: 'demo-password-123' }),
          }),
          call(platform.url('/health/ready')),
        ]);
        answers.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A restart that takes a few seconds (as the audit's 3.4 s one): down, then up again.
    await pg.ctl('stop');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await pg.ctl('start');
    await new Promise((resolve) => setTimeout(resolve, 500));
    restarting = false;
    await load;

    const failures = answers.filter((a) => a.status >= 500);
    expect(failures.length).toBeGreaterThan(0); // the restart was seen
    expect(answers.filter((a) => a.status === 500)).toEqual([]);
    for (const failure of failures) {
      expect(failure.status).toBe(503);
      // Readiness answers in its own shape (naming what is down); every other route is a problem with Retry-After.
      if (failure.url !== '/health/ready')
        expect(failure).toMatchObject({ code: 'service_unavailable', retryAfter: expect.any(String) });
    }
    // And everything is back afterwards.
    const deadline = Date.now() + 10_000;
    while ((await call(platform.url('/health/ready'))).status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await call(platform.url('/v1/auth/me'), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  }, 60_000);

  it('keeps the API serving when the worker dies, and restarts the worker with backoff', async () => {
    const mark = platform.output.length;
    process.kill(platform.child('worker.js'), 'SIGKILL');
    await platform.waitFor(/The worker exited \(SIGKILL\); restarting it in 1 s/, 10_000, mark);
    expect((await call(platform.url('/health/live'))).status).toBe(200);
    expect((await call(platform.url('/v1/plans'), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await platform.waitFor(/The worker is running again/, 30_000, mark);

    // Dies again at once: the next delay doubles.
    const again = platform.output.length;
    process.kill(platform.child('worker.js'), 'SIGKILL');
    await platform.waitFor(/The worker exited \(SIGKILL\); restarting it in 2 s/, 10_000, again);
    await platform.waitFor(/The worker is running again/, 30_000, again);
  }, 90_000);

  it('restarts a worker that dies while Redis is down; it waits for Redis, and the API keeps serving', async () => {
    const mark = platform.output.length;
    await redis.down();
    process.kill(platform.child('worker.js'), 'SIGKILL');
    await platform.waitFor(/Waiting for Redis at/, 30_000, mark);
    const ready = await call(platform.url('/health/ready'));
    expect(ready.status).toBe(503);
    expect((await call(platform.url('/v1/auth/me'), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // Waiting, not exiting: no restart loop meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(platform.output.slice(mark).match(/The worker exited/g)).toHaveLength(1);
    await redis.up();
    await platform.waitFor(/The worker is running again/, 30_000, mark);
    const deadline = Date.now() + 10_000;
    while ((await call(platform.url('/health/ready'))).status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await call(platform.url('/health/ready'))).status).toBe(200);
  }, 90_000);
});
