import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { ConfiguredWorker } from '../../jobs/configured-worker.js';
import type { Queue } from 'bullmq';
import { Clock } from '../clock/clock.service.js';
import { TenantSession } from '../../database/tenant-session.js';
import { KeptScheduler } from '../../jobs/kept-scheduler.js';
import { QUEUES } from '../../jobs/queues.js';

const HOURLY = 'purge-expired';
/** Done rows of the job outbox are kept this long (to look into), then purged. */
const OUTBOX_KEPT_DAYS = 7;

/**
 * Hourly housekeeping: idempotency keys past their 24 h, sessions expired or revoked a week ago,
 * and job outbox rows done a week ago. Its job scheduler is kept in place: recreated within a scan
 * interval (RENEWAL_SCAN_EVERY_MS) whenever Redis has lost it.
 */
@Processor(QUEUES.maintenance, { autorun: false })
export class MaintenanceProcessor extends ConfiguredWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceProcessor.name);
  private readonly scheduler: KeptScheduler;

  constructor(
    @InjectQueue(QUEUES.maintenance) queue: Queue,
    private readonly session: TenantSession,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(config);
    this.scheduler = new KeptScheduler(queue, HOURLY, 3600_000, HOURLY, config.RENEWAL_SCAN_EVERY_MS);
  }

  override async onApplicationBootstrap(): Promise<void> {
    super.onApplicationBootstrap();
    await this.scheduler.start();
  }

  onApplicationShutdown(): void {
    this.scheduler.stop();
  }

  async process(): Promise<{ idempotencyKeys: number; sessions: number; outboxRows: number }> {
    const now = this.clock.realNow();
    const weekAgo = new Date(now.getTime() - 7 * 24 * 3600_000);
    const outboxBefore = new Date(now.getTime() - OUTBOX_KEPT_DAYS * 24 * 3600_000);
    // Credential tables are reached only through a definer function, run by the worker on the platform path.
    const result = await this.session.runPlatform(null, async (em) => {
      const [row] = await em.execute<{ idempotency_keys: string; sessions: string }[]>('select * from credentials_purge(?, ?)', [
        now,
        weekAgo,
      ]);
      const outbox = await em.execute<{ id: string }[]>('delete from job_outbox where done_at < ? returning id', [outboxBefore]);
      return { idempotencyKeys: Number(row.idempotency_keys), sessions: Number(row.sessions), outboxRows: outbox.length };
    });
    this.logger.log(result, 'purged expired records');
    return result;
  }
}
