import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AppConfig } from '../../config/config.js';
import { systemCaller, trustedTenantId } from '../../common/auth/caller.js';
import { ConfiguredWorker } from '../../jobs/configured-worker.js';
import { TenantJob } from '../../jobs/tenant-job.js';
import { QUEUES } from '../../jobs/queues.js';
import type { CollectInvoiceJob } from './billing.jobs.js';
import { InvoicingService } from './invoicing.service.js';

/**
 * Collects one open invoice in its tenant's session (an automatic attempt of the dunning
 * schedule): re-reads it under a row lock and does nothing if it is settled, not yet due or its
 * subscription has ended, so duplicate or re-run jobs never charge twice. Outcomes move the subscription (past due, recovered, expired after the last retry).
 */
abstract class CollectionProcessor extends ConfiguredWorker {
  private readonly logger = new Logger(this.constructor.name);

  constructor(
    config: AppConfig,
    private readonly tenantJob: TenantJob,
    private readonly invoicing: InvoicingService,
  ) {
    super(config);
  }

  async process(job: Job<CollectInvoiceJob>): Promise<{ outcome: string }> {
    const { tenantId, invoiceId, subscriptionId } = job.data;
    const result = await this.tenantJob.run(tenantId, () =>
      this.invoicing.collectOpen(systemCaller(trustedTenantId(tenantId)), invoiceId, true),
    );
    const outcome = result.paid
      ? 'paid'
      : result.failureCode
        ? `failed:${result.failureCode} (invoice ${result.status})`
        : `skipped: invoice ${result.status}`;
    await job.log(`tenant ${tenantId} subscription ${subscriptionId} invoice ${invoiceId}: ${outcome}`);
    this.logger.log({ tenantId, subscriptionId, invoiceId, outcome }, 'invoice collection');
    return { outcome };
  }
}

/** `proration`: the first collection of an invoice billed by an immediate plan change. */
@Processor(QUEUES.proration, { autorun: false })
export class ProrationProcessor extends CollectionProcessor {
  constructor(config: AppConfig, tenantJob: TenantJob, invoicing: InvoicingService) {
    super(config, tenantJob, invoicing);
  }
}

/** `payment-retries`: dunning, 1, 3 and 7 days after the first failure (on the application clock). */
@Processor(QUEUES.paymentRetries, { autorun: false })
export class PaymentRetryProcessor extends CollectionProcessor {
  constructor(config: AppConfig, tenantJob: TenantJob, invoicing: InvoicingService) {
    super(config, tenantJob, invoicing);
  }
}
