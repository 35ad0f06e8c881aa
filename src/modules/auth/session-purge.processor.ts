import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { CredentialsRepository } from './credentials.repository.js';
import { QUEUES } from '../../jobs/queues.js';
import { ScheduledWorker } from '../../jobs/scheduled-worker.js';
import { REVOKED_SESSIONS_KEPT_DAYS, SESSION_PURGE_JOB } from './auth.jobs.js';

/**
 * The `sessions` queue: every hour, sessions expired, or revoked more than a week ago, are purged
 * (with their refresh tokens).
 */
@Processor(QUEUES.sessions, { autorun: false })
export class SessionPurgeProcessor extends ScheduledWorker {
  private readonly logger = new Logger(SessionPurgeProcessor.name);

  constructor(
    @InjectQueue(QUEUES.sessions) queue: Queue,
    private readonly credentials: CredentialsRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(queue, { id: SESSION_PURGE_JOB, jobName: SESSION_PURGE_JOB, everyMs: 3600_000 }, config);
  }

  async process(): Promise<{ sessions: number }> {
    const now = this.clock.realNow();
    const revokedBefore = new Date(now.getTime() - REVOKED_SESSIONS_KEPT_DAYS * 24 * 3600_000);
    const result = { sessions: await this.credentials.purgeEndedSessions(now, revokedBefore) };
    this.logger.log(result, 'purged ended sessions');
    return result;
  }
}
