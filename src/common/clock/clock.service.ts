import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../../config/config.js';
import { RedisClient } from '../redis/redis.module.js';

const OFFSET_KEY = 'clock:offset-ms';

/**
 * The application clock. Business time (periods, trials, renewals, retries, usage resets) reads
 * `now()`; it is real time plus an offset that a platform admin may move forward when
 * CLOCK_CONTROL is on (outside production). The offset lives in Redis and is broadcast, so the
 * API and the worker processes share one clock. With CLOCK_CONTROL off the offset is ignored — one
 * left in Redis by an earlier run never moves a production clock. Security timing (token and session lifetimes,
 * idempotency retention, audit timestamps) uses `realNow()`, which never moves.
 */
@Injectable()
export class Clock implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(Clock.name);
  private offsetMs = 0;
  private subscriber?: Redis;

  constructor(
    private readonly redis: RedisClient,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  private get channel(): string {
    return `${this.config.REDIS_PREFIX}:clock`;
  }

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
    await this.sync();
    this.subscriber = this.redis.duplicate({ keyPrefix: undefined });
    this.subscriber.on('message', (_channel, message) => {
      this.offsetMs = Number(message) || 0;
    });
    this.subscriber.on('error', (error) => this.logger.warn(`clock subscription: ${error.message}`));
    await this.subscriber.subscribe(this.channel);
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }

  /** Re-reads the shared offset (jobs call it before working, in case a broadcast is still in flight). */
  async sync(): Promise<void> {
    if (this.controllable) this.offsetMs = Number(await this.redis.get(OFFSET_KEY)) || 0;
  }

  /** Moves business time to `target` (forward only) for every process. */
  async moveTo(target: Date): Promise<Date> {
    const offset = Math.max(this.offsetMs, target.getTime() - Date.now());
    await this.redis.set(OFFSET_KEY, String(offset));
    this.offsetMs = offset;
    await this.redis.publish(this.channel, String(offset));
    return this.now();
  }

  /** Back to real time for every process (the one move backwards, for a fresh start). */
  async reset(): Promise<Date> {
    await this.redis.del(OFFSET_KEY);
    this.offsetMs = 0;
    await this.redis.publish(this.channel, '0');
    return this.now();
  }
}
