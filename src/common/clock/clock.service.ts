import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AppConfig } from '../../config/config.js';
import { TenantSession } from '../../database/tenant-session.js';

/** How often a process re-reads the shared offset (when the clock is controllable). */
const SYNC_EVERY_MS = 2000;

/**
 * The application clock. Business time (periods, trials, renewals, retries, usage resets) reads
 * `now()`; it is real time plus an offset that a platform admin may move forward when
 * CLOCK_CONTROL is on (outside production). The offset is kept in PostgreSQL (`app_clock`), like
 * everything that must survive — a Redis that loses its keys leaves the clock where it was — and
 * every process reads it: at start, every SYNC_EVERY_MS, and before each job (`sync()`). Only the
 * platform path moves it. With CLOCK_CONTROL off the offset is ignored — one left by an earlier run
 * never moves a production clock. Security timing (token and session lifetimes, idempotency
 * retention, audit timestamps) uses `realNow()`, which never moves.
 */
@Injectable()
export class Clock implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(Clock.name);
  private offsetMs = 0;
  private poller?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly session: TenantSession,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  now(): Date {
    return new Date(this.controllable ? Date.now() + this.offsetMs : Date.now());
  }

  realNow(): Date {
    return new Date();
  }

  get controllable(): boolean {
    return this.config.CLOCK_CONTROL && this.config.NODE_ENV !== 'production';
  }

  async onModuleInit(): Promise<void> {
    if (!this.controllable) return;
    // A database that is not there yet does not stop the process: the poller catches up.
    await this.sync().catch((error: Error) => this.logger.warn(`could not read the application clock yet: ${error.message}`));
    this.poller = setInterval(() => void this.sync().catch(() => undefined), SYNC_EVERY_MS);
    this.poller.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.poller);
  }

  /** Re-reads the shared offset (jobs call it before working, so they see a move made a moment ago). */
  async sync(): Promise<void> {
    if (!this.controllable) return;
    const [row] = await this.orm.em.getConnection().execute<{ offset_ms: string }[]>('select offset_ms from app_clock');
    this.offsetMs = Number(row?.offset_ms ?? 0);
  }

  /**
   * Moves business time to `target` (forward only) for every process, on the platform path;
   * `also` runs in the same transaction (e.g. asking the worker to scan at once).
   */
  async moveTo(target: Date, actorId: string | null, also?: (em: EntityManager, now: Date) => Promise<void>): Promise<Date> {
    return this.write(actorId, Math.max(0, target.getTime() - Date.now()), 'greatest(offset_ms, ?)', also);
  }

  /** Back to real time for every process (the one move backwards, for a fresh start). */
  async reset(actorId: string | null): Promise<Date> {
    return this.write(actorId, 0, '?::bigint');
  }

  private async write(
    actorId: string | null,
    offset: number,
    expression: string,
    also?: (em: EntityManager, now: Date) => Promise<void>,
  ): Promise<Date> {
    const committed = await this.session.runPlatform(actorId, async (em) => {
      const [row] = await em.execute<{ offset_ms: string }[]>(
        `update app_clock set offset_ms = ${expression}, updated_at = now() returning offset_ms`,
        [Math.round(offset)],
      );
      const moved = Number(row.offset_ms);
      await also?.(em, new Date(Date.now() + moved));
      return moved;
    });
    this.offsetMs = committed;
    return this.now();
  }
}
