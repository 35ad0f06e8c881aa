import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../config/config.js';
import { Clock } from '../common/clock/clock.service.js';
import { TenantSession } from '../database/tenant-session.js';
import { ConfiguredWorker } from './configured-worker.js';
import { KeptScheduler } from './kept-scheduler.js';
import { QUEUES } from './queues.js';

const HOURLY = 'purge-expired';
/** Done rows of the job outbox are kept this long (to look into), then purged. */
const OUTBOX_KEPT_DAYS = 7;

/**
 * Hourly housekeeping of what the infrastructure keeps: idempotency keys past their 24 h and job
 * outbox rows done a week ago (a module purges its own tables, e.g. auth's sessions). Its job
 * scheduler is kept in place: recreated within a scan interval (RENEWAL_SCAN_EVERY_MS) whenever
 * Redis has lost it.
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

  async process(): Promise<{ idempotencyKeys: number; outboxRows: number }> {
    const now = this.clock.realNow();
    const outboxBefore = new Date(now.getTime() - OUTBOX_KEPT_DAYS * 24 * 3600_000);
    // Idempotency records are reached only through a definer function, run by the worker on the platform path.
    const result = await this.session.runPlatform(null, async (em) => {
      const [row] = await em.execute<{ purged: string }[]>('select idempotency_purge(?) as purged', [now]);
      const outbox = await em.execute<{ id: string }[]>('delete from job_outbox where done_at < ? returning id', [outboxBefore]);
      return { idempotencyKeys: Number(row.purged), outboxRows: outbox.length };
    });
    this.logger.log(result, 'purged expired records');
    return result;
  }
}
