import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../../config/config.js';
import { RedisUnavailableError } from '../errors/outages.js';

/**
 * The shared Redis connection for throttling counters, readiness checks and the mock card
 * provider (BullMQ opens its own). Redis only accelerates: nothing here waits on it. A command
 * while it is not connected fails at once (`assertReady`), and one it does not answer fails after
 * REDIS_COMMAND_TIMEOUT_MS; callers answer 503 (or carry on without it). It reconnects by itself,
 * and says so once per outage in the log rather than once per attempt.
 */
@Injectable()
export class RedisClient extends Redis implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisClient.name);
  private down = false;

  constructor(@Inject(AppConfig) config: AppConfig) {
    super(config.REDIS_URL, {
      keyPrefix: `${config.REDIS_PREFIX}:`,
      lazyConnect: false,
      commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: Math.max(1000, config.REDIS_COMMAND_TIMEOUT_MS * 4),
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.on('error', (error: Error) => {
      if (this.down) return;
      this.down = true;
      this.logger.warn(`Redis is unavailable (${error.message}); reconnecting`);
    });
    this.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger.log('Redis is available again');
    });
  }

  /** Connected and ready for commands. */
  get ready(): boolean {
    return this.status === 'ready';
  }

  /**
   * Throws RedisUnavailableError at once when the connection is lost (instead of queueing the
   * command until a reconnection that may never come). While it is being opened, commands wait for
   * it, for REDIS_COMMAND_TIMEOUT_MS at most.
   */
  assertReady(): void {
    if (['reconnecting', 'close', 'end'].includes(this.status)) throw new RedisUnavailableError(`not connected (${this.status})`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.quit().catch(() => this.disconnect());
  }
}

@Global()
@Module({ providers: [RedisClient], exports: [RedisClient] })
export class RedisModule {}
