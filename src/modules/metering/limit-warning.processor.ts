import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AppConfig } from '../../config/config.js';
import { trustedTenantId } from '../../common/auth/caller.js';
import { ConfiguredWorker } from '../../jobs/configured-worker.js';
import { QUEUES } from '../../jobs/queues.js';
import { TenantJob } from '../../jobs/tenant-job.js';
import type { LimitWarningJob } from './metering.jobs.js';
import { NotificationsService } from './notifications.service.js';

/**
 * The `limit-warnings` queue: records a crossed threshold as a notification and an audit entry,
 * in the tenant's session. Running twice is harmless: the notification's unique key keeps one.
 */
@Processor(QUEUES.limitWarnings, { autorun: false })
export class LimitWarningProcessor extends ConfiguredWorker {
  private readonly logger = new Logger(LimitWarningProcessor.name);

  constructor(
    config: AppConfig,
    private readonly tenantJob: TenantJob,
    private readonly notifications: NotificationsService,
  ) {
    super(config);
  }

  async process(job: Job<LimitWarningJob>): Promise<{ recorded: boolean }> {
    const warning = job.data;
    const recorded = await this.tenantJob.run(warning.tenantId, () =>
      this.notifications.recordLimitWarning(trustedTenantId(warning.tenantId), warning),
    );
    await job.log(
      `tenant ${warning.tenantId} ${warning.metric} ${warning.threshold}%: ${recorded ? 'recorded' : 'already recorded'}`,
    );
    this.logger.log({ ...warning, recorded }, 'limit warning');
    return { recorded };
  }
}
