import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../config/config.js';
import { Clock } from '../common/clock/clock.service.js';
import { TenantSession } from '../database/tenant-session.js';
import { QUEUES } from './queues.js';
import { ScheduledWorker } from './scheduled-worker.js';

const HOURLY = 'purge-expired';
/** Done rows of the job outbox are kept this long (to look into), then purged. */
const OUTBOX_KEPT_DAYS = 7;

/**
 * Hourly housekeeping of what the infrastructure keeps: idempotency keys past their 24 h and job
 * outbox rows done a week ago (a module purges its own tables, e.g. auth's sessions).
 */
@Processor(QUEUES.maintenance, { autorun: false })
export class MaintenanceProcessor extends ScheduledWorker {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    @InjectQueue(QUEUES.maintenance) queue: Queue,
    private readonly session: TenantSession,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(queue, { id: HOURLY, jobName: HOURLY, everyMs: 3600_000 }, config);
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
