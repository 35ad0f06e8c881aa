import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { AppConfig } from '../../config/config.js';
import { QUEUES } from '../../jobs/queues.js';
import { ScheduledWorker } from '../../jobs/scheduled-worker.js';
import { Clock } from '../../common/clock/clock.service.js';
import { RenewalService } from './renewal.service.js';
import { RENEW_DUE_JOB, RENEWAL_SCAN_JOB, RENEWAL_SCAN_SCHEDULER, type RenewDueJob } from './subscriptions.jobs.js';

/**
 * The `renewals` queue. `scan` (a kept job scheduler, every RENEWAL_SCAN_EVERY_MS) finds due work in the database and enqueues `renew-due` sweeps;
 * a sweep renews every due subscription it can lock, batch by batch (set-based), and a
 * `renew-due` naming a subscription (after a recovered payment) renews only that one.
 */
@Processor(QUEUES.renewals, { autorun: false })
export class RenewalProcessor extends ScheduledWorker {
  private readonly logger = new Logger(RenewalProcessor.name);

  constructor(
    @InjectQueue(QUEUES.renewals) queue: Queue,
    private readonly renewals: RenewalService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super(queue, { id: RENEWAL_SCAN_SCHEDULER, jobName: RENEWAL_SCAN_JOB, everyMs: config.RENEWAL_SCAN_EVERY_MS }, config);
  }

  async process(job: Job<RenewDueJob>): Promise<unknown> {
    await this.clock.sync();
    if (job.name === RENEWAL_SCAN_JOB) {
      const found = await this.renewals.scan();
      await job.log(
        `scan at ${this.clock.now().toISOString()}: ${found.renewals} renewals, ${found.collections} collections due`,
      );
      return found;
    }
    if (job.name === RENEW_DUE_JOB) {
      const only = job.data.subscriptionId ?? null;
      const renewed = await this.renewals.renewAllDue(only);
      await job.log(`${only ? `subscription ${only}` : 'sweep'}: ${renewed} subscriptions renewed in this run`);
      this.logger.log({ tenantId: job.data.tenantId, subscriptionId: only, renewed }, 'renew-due job');
      return { renewed };
    }
    throw new Error(`Unknown job ${job.name} on the renewals queue`);
  }
}
