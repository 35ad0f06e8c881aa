import { Injectable } from '@nestjs/common';
import type { TenantId } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditService } from '../audit/audit.service.js';
import { SubscriptionEvent, transition } from './subscription-state.rules.js';
import { Subscription } from './subscription.entity.js';
import { RENEW_DUE_JOB } from './subscriptions.jobs.js';
import { SubscriptionRepository } from './subscription.repository.js';

/**
 * What billing needs of a subscription: its lock before a charge, forgetting a removed card, and
 * what payment outcomes do to it. Billing reports them here (it builds on subscriptions); the
 * subscription's state machine decides.
 */
@Injectable()
export class SubscriptionPayments {
  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * The subscription an invoice bills, row-locked before billing locks the invoice: the order a
   * cancellation and a renewal lock them in, so a charge racing a cancel-now waits for it (and then
   * finds the invoice void) instead of deadlocking.
   */
  lockForCharge(tenantId: TenantId, subscriptionId: string): Promise<Subscription> {
    return this.subscriptions.lock(tenantId, subscriptionId);
  }

  /** A card was removed: the subscriptions that charged it follow the default card. */
  forgetCard(tenantId: TenantId, paymentMethodId: string): Promise<void> {
    return this.subscriptions.forgetCard(tenantId, paymentMethodId);
  }

  /** A charge for the subscription failed: it becomes past due (dunning follows). */
  async failed(subscription: Subscription, failureCode: string | null): Promise<void> {
    if (subscription.status !== 'active' && subscription.status !== 'trialing') return;
    await this.move(subscription, subscription.status === 'trialing' ? 'trial_payment_failed' : 'renewal_payment_failed', {
      failureCode,
    });
  }

  /**
   * An invoice of the subscription was paid: a past-due subscription with nothing else open is
   * active again, and any periods that ended meanwhile are renewed right away.
   */
  async recovered(subscription: Subscription, openInvoices: number): Promise<void> {
    if (subscription.status !== 'past_due' || openInvoices > 0) return;
    await this.move(subscription, 'payment_recovered', {});
    this.jobs.enqueueAfterCommit(
      QUEUES.renewals,
      RENEW_DUE_JOB,
      { tenantId: subscription.tenantId, subscriptionId: subscription.id },
      workJob(`renew-${subscription.id}-${subscription.currentPeriodEnd.getTime()}`),
    );
  }

  /** The last retry failed: the subscription ends as expired. */
  async exhausted(subscription: Subscription): Promise<void> {
    if (subscription.status !== 'past_due') return;
    subscription.endedAt = this.clock.now();
    subscription.endedReason = 'unpaid';
    await this.move(subscription, 'dunning_exhausted', {});
  }

  private async move(subscription: Subscription, event: SubscriptionEvent, detail: Record<string, unknown>): Promise<void> {
    const before = subscription.status;
    subscription.status = transition(subscription.status, event);
    subscription.updatedAt = this.clock.now();
    await this.subscriptions.save();
    this.audit.record({
      action: `subscription.${event}`,
      targetType: 'subscription',
      targetId: subscription.id,
      tenantId: subscription.tenantId,
      before: { status: before },
      after: { status: subscription.status, ...detail },
    });
  }
}
