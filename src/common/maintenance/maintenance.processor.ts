import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { ConfiguredWorker } from '../../jobs/configured-worker.js';
import type { Queue } from 'bullmq';
import { Clock } from '../clock/clock.service.js';
import { TenantSession } from '../../database/tenant-session.js';
import { QUEUES } from '../../jobs/queues.js';

const HOURLY = 'purge-expired';

/** Hourly housekeeping: idempotency keys past their 24 h and sessions expired or revoked a week ago. */
@Processor(QUEUES.maintenance, { autorun: false })
export class MaintenanceProcessor extends ConfiguredWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    private readonly session: TenantSession,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(config);
  }

  override async onApplicationBootstrap(): Promise<void> {
    super.onApplicationBootstrap();
    await this.queue.upsertJobScheduler(HOURLY, { every: 3600_000 }, { name: HOURLY });
  }

  async process(): Promise<{ idempotencyKeys: number; sessions: number }> {
    const now = this.clock.realNow();
    const weekAgo = new Date(now.getTime() - 7 * 24 * 3600_000);
    // Credential tables are reached only through a definer function, run by the worker on the platform path.
    const [row] = await this.session.runPlatform(null, (em) =>
      em.execute<{ idempotency_keys: string; sessions: string }[]>('select * from credentials_purge(?, ?)', [now, weekAgo]),
    );
    const result = { idempotencyKeys: Number(row.idempotency_keys), sessions: Number(row.sessions) };
    this.logger.log(result, 'purged expired records');
    return result;
  }
}
