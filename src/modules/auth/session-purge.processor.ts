import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { CredentialsRepository } from './credentials.repository.js';
import { ConfiguredWorker } from '../../jobs/configured-worker.js';
import { KeptScheduler } from '../../jobs/kept-scheduler.js';
import { QUEUES } from '../../jobs/queues.js';
import { REVOKED_SESSIONS_KEPT_DAYS, SESSION_PURGE_JOB } from './auth.jobs.js';

/**
 * The `sessions` queue: every hour, sessions expired, or revoked more than a week ago, are purged
 * (with their refresh tokens). Its job scheduler is kept in place: recreated within a scan interval
 * (RENEWAL_SCAN_EVERY_MS) whenever Redis has lost it.
 */
@Processor(QUEUES.sessions, { autorun: false })
export class SessionPurgeProcessor extends ConfiguredWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionPurgeProcessor.name);
  private readonly scheduler: KeptScheduler;

  constructor(
    @InjectQueue(QUEUES.sessions) queue: Queue,
    private readonly credentials: CredentialsRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(config);
    this.scheduler = new KeptScheduler(queue, SESSION_PURGE_JOB, 3600_000, SESSION_PURGE_JOB, config.RENEWAL_SCAN_EVERY_MS);
  }

  override async onApplicationBootstrap(): Promise<void> {
    super.onApplicationBootstrap();
    await this.scheduler.start();
  }

  onApplicationShutdown(): void {
    this.scheduler.stop();
  }

  async process(): Promise<{ sessions: number }> {
    const now = this.clock.realNow();
    const revokedBefore = new Date(now.getTime() - REVOKED_SESSIONS_KEPT_DAYS * 24 * 3600_000);
    const result = { sessions: await this.credentials.purgeEndedSessions(now, revokedBefore) };
    this.logger.log(result, 'purged ended sessions');
    return result;
  }
}
