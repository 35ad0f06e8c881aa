import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { LockMode } from '@mikro-orm/postgresql';
import type { Job } from 'bullmq';
import { Clock } from '../../common/clock/clock.service.js';
import { TenantJob } from '../../jobs/tenant-job.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditService } from '../audit/audit.service.js';
import { transition } from '../subscriptions/subscription-state.js';
import { Invoice } from './billing.entities.js';
import { InvoicingService } from './invoicing.service.js';

export interface CollectInvoiceJob {
  tenantId: string;
  invoiceId: string;
  subscriptionId: string;
}

/**
 * Collects a proration invoice after a plan change: re-reads the invoice under a row lock and does
 * nothing if it is no longer open, so a duplicate or re-run job never charges twice. A failed
 * charge leaves the invoice open and the subscription past due.
 */
@Processor(QUEUES.proration)
export class ProrationProcessor extends WorkerHost {
  private readonly logger = new Logger(ProrationProcessor.name);

  constructor(
    private readonly tenantJob: TenantJob,
    private readonly invoicing: InvoicingService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {
    super();
  }

  async process(job: Job<CollectInvoiceJob>): Promise<{ outcome: string }> {
    const { tenantId, invoiceId, subscriptionId } = job.data;
    const outcome = await this.tenantJob.run(tenantId, async (em) => {
      const invoice = await em.findOne(Invoice, invoiceId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice || invoice.status !== 'open') return 'already_settled';
      const result = await this.invoicing.collect(invoice);
      if (result.paid) return 'paid';
      const subscription = await em.findOneOrFail(Invoice, invoiceId, { populate: ['subscription'] }).then((i) => i.subscription);
      if (subscription.status === 'active') {
        subscription.status = transition(subscription.status, 'renewal_payment_failed');
        subscription.updatedAt = this.clock.now();
        this.audit.record({ action: 'subscription.past_due', targetType: 'subscription', targetId: subscription.id, after: { status: subscription.status, failureCode: result.failureCode } });
      }
      await em.flush();
      return `failed:${result.failureCode}`;
    });
    this.logger.log({ tenantId, subscriptionId, invoiceId, outcome }, 'proration invoice collection');
    return { outcome };
  }
}
