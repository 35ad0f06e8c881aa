import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import pg from 'pg';
import { AppConfig } from '../config/config.js';
import { RedisClient } from '../common/redis/redis.module.js';
import { platformDatabaseUrl } from '../database/setup.js';
import { pgArray } from '../database/sql.js';
import { TenantSession } from '../database/tenant-session.js';
import { JobQueue, workJob } from './job-queue.js';
import { OUTBOX_ID_FIELD } from './outbox.js';
import type { QueueName } from './queues.js';

const BATCH = 500;
const LISTEN_RETRY_MS = 2000;
const ERROR_LOG_EVERY_MS = 60_000;

interface Claimed {
  id: string;
  queue: QueueName;
  job_name: string;
  job_id: string;
  payload: Record<string, unknown>;
}

/**
 * Takes the rows due for a hand-over — never handed over, or handed over more than one scan
 * interval ago and still not done (their job was lost with Redis, or failed) — oldest first,
 * skipping rows another worker is taking; marks them handed over and returns them.
 */
const CLAIM = `
  update job_outbox o set dispatched_at = now(), dispatch_count = o.dispatch_count + 1
    from (select id from job_outbox
           where done_at is null
             and (dispatched_at is null or dispatched_at < now() - make_interval(secs => ?::double precision / 1000))
           order by id limit ? for update skip locked) due
   where o.id = due.id
  returning o.id, o.queue, o.job_name, o.job_id, o.payload`;

/**
 * The worker's side of the job outbox: as soon as new rows commit (NOTIFY job_outbox, heard on a
 * connection of its own that is re-opened when lost) and every OUTBOX_POLL_EVERY_MS, it hands
 * pending rows to their BullMQ queues (jobs named by the row's job id, so a hand-over of work
 * already queued collapses into it), and when a job that came from the outbox completes, marks
 * its row done. A row whose
 * job does not complete within RENEWAL_SCAN_EVERY_MS is handed over again: after Redis lost
 * everything, the outbox's work is back within one scan interval. Runs on the platform path (the
 * only role that reads the outbox); nothing is tried while Redis is away.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private listener: pg.Client | null = null;
  private listenRetry?: NodeJS.Timeout;
  private lastErrorLog = 0;

  constructor(
    private readonly session: TenantSession,
    private readonly jobs: JobQueue,
    private readonly redis: RedisClient,
    private readonly discovery: DiscoveryService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!(instance instanceof WorkerHost)) continue;
      instance.worker.on('completed', (job: Job) => void this.completed(job));
    }
    this.timer = setInterval(() => void this.relay(), this.config.OUTBOX_POLL_EVERY_MS);
    void this.listen();
    void this.relay();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.listenRetry);
    await this.listener?.end().catch(() => undefined);
    // A pass waiting on a Redis that is away must not hold the shutdown: its rows are handed over again later.
    await Promise.race([this.running, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  /** One pass (never two at once; asked for meanwhile, it runs again after): hands over every due row, batch after batch. */
  relay(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.stopped || !this.redis.ready) return Promise.resolve();
    this.running = (async () => {
      try {
        while (!this.stopped && (await this.relayBatch()) === BATCH);
      } catch (error) {
        this.logError('could not hand the job outbox over to the queues', error);
      } finally {
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.relay();
        }
      }
    })();
    return this.running;
  }

  /** LISTEN job_outbox on a connection of its own; lost, it is opened again (the poll covers the gap). */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: platformDatabaseUrl(this.config) });
    let retried = false;
    const retry = () => {
      if (retried || this.stopped) return;
      retried = true;
      if (this.listener === client) this.listener = null;
      this.listenRetry = setTimeout(() => void this.listen(), LISTEN_RETRY_MS);
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => void this.relay());
    try {
      await client.connect();
      await client.query('listen job_outbox');
      this.listener = client;
      void this.relay(); // what was written while nobody listened
    } catch {
      await client.end().catch(() => undefined);
      retry();
    }
  }

  private async relayBatch(): Promise<number> {
    const rows = await this.session.runPlatform(null, (em) =>
      em.execute<Claimed[]>(CLAIM, [this.config.RENEWAL_SCAN_EVERY_MS, BATCH]),
    );
    const byQueue = new Map<QueueName, Claimed[]>();
    for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
    try {
      for (const [queue, claimed] of byQueue) {
        await this.jobs.queue(queue).addBulk(
          claimed.map((row) => ({
            name: row.job_name,
            data: { ...row.payload, [OUTBOX_ID_FIELD]: row.id },
            opts: workJob(row.job_id),
          })),
        );
      }
    } catch (error) {
      // Not handed over after all: due again at the next pass.
      await this.session
        .runPlatform(null, (em) =>
          em.execute('update job_outbox set dispatched_at = null where id = any(?::uuid[]) and done_at is null', [
            pgArray(rows.map((r) => r.id)),
          ]),
        )
        .catch(() => undefined);
      throw error;
    }
    return rows.length;
  }

  /** A job from the outbox completed: its row is done (a job run twice is harmless, a row marked twice too). */
  private async completed(job: Job): Promise<void> {
    const id = (job.data as Record<string, unknown> | undefined)?.[OUTBOX_ID_FIELD];
    if (typeof id !== 'string') return;
    await this.session
      .runPlatform(null, (em) => em.execute('update job_outbox set done_at = now() where id = ? and done_at is null', [id]))
      .catch((error) => this.logError(`could not mark outbox row ${id} done (its job may run again)`, error));
  }

  private logError(message: string, error: unknown): void {
    if (Date.now() - this.lastErrorLog < ERROR_LOG_EVERY_MS) return;
    this.lastErrorLog = Date.now();
    this.logger.warn(`${message}: ${(error as Error).message}`);
  }
}
