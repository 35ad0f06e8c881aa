import { spawn, ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/** A free TCP port on the loopback interface (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Redis of a test's own on a free port, without persistence, that the test may stop, freeze,
 * flush and start again — never the shared 127.0.0.1:6379 of the rest of the suite.
 */
export class TestRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, empty: nothing is persisted) and waits until it answers. */
  async up(): Promise<void> {
    if (this.process) return;
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        client.disconnect();
      }
    }
  }

  /** Kills the server (connections are refused until `up()`). Everything it held is lost. */
  async down(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }

  /**
   * While the server is down: resolves once a client has tried to connect to it (the attempt is
   * dropped, as a down Redis would), so a test can bring Redis back after something has found it
   * down, rather than after a guessed delay.
   */
  async dialled(): Promise<void> {
    if (this.process) throw new Error('Redis is up: nothing is refused');
    const server = createServer();
    const sockets = new Set<Socket>();
    const first = new Promise<void>((resolve) =>
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.destroy();
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    try {
      await first;
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** Freezes the server: connections stay open but nothing answers (a hung Redis), until `thaw()`. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** FLUSHALL: Redis keeps running but has lost everything. */
  async flushAll(): Promise<void> {
    const client = new Redis(this.url);
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    this.thaw();
    await this.down();
  }
}
