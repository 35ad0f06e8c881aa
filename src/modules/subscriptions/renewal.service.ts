import { Injectable, Logger } from '@nestjs/common';
import { LockMode } from '@mikro-orm/postgresql';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { TenantSession } from '../../database/tenant-session.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditService } from '../audit/audit.service.js';
import type { PlanVersion } from '../plans/plan.entity.js';
import { periodLine } from './proration.js';
import { decideRenewal, RenewalTerms } from './renewal.js';
import { RenewalBilling, RenewalCharge } from './subscription-billing.port.js';
import { RENEW_JOB } from './subscription-payments.js';
import { transition } from './subscription-state.js';
import { Subscription } from './subscription.entity.js';

const terms = (v: PlanVersion): RenewalTerms => ({ id: v.id, interval: v.interval, intervalCount: v.intervalCount, durationCycles: v.durationCycles });
const DUE_STATUSES = ['active', 'trialing'];

/**
 * Renewals across tenants. This is the worker's explicit cross-tenant path: each batch runs in
 * one transaction as `eshtarek_platform` (TenantSession.enterPlatform), takes due subscriptions
 * with FOR UPDATE SKIP LOCKED so concurrent workers split the work, re-checks each one under its
 * lock, and bills set-based. A period is billed once: the period advances in the same transaction
 * that writes its invoice, and invoices are unique per (subscription, period start).
 */
@Injectable()
export class RenewalService {
  private readonly logger = new Logger(RenewalService.name);

  constructor(
    private readonly session: TenantSession,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly billing: RenewalBilling,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
  ) {}

  /** Finds due work as of the application clock and enqueues it (deterministic job ids collapse duplicates). */
  async scan(): Promise<{ renewals: number; collections: number }> {
    const now = this.clock.now();
    const due = await this.session.run({}, async (em) => {
      await this.session.enterPlatform(em);
      return em.execute<{ id: string; tenant_id: string; current_period_end: Date }[]>(
        `select id, tenant_id, current_period_end from subscriptions
          where status in ('active', 'trialing') and current_period_end <= ? order by current_period_end`,
        [now],
      );
    });
    if (due.length) {
      await this.jobs.queue(QUEUES.renewals).addBulk(
        due.map((s) => ({
          name: RENEW_JOB,
          data: { tenantId: s.tenant_id, subscriptionId: s.id },
          opts: workJob(`renew-${s.id}-${new Date(s.current_period_end).getTime()}`),
        })),
      );
    }
    const collections = await this.billing.enqueueDueCollections(now);
    return { renewals: due.length, collections };
  }

  /** Renews due subscriptions batch after batch until none is due (catching up period by period). */
  async renewAllDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const renewed = await this.renewBatch();
      total += renewed;
      if (renewed === 0) return total;
    }
  }

  /** One batch, one transaction; returns how many subscriptions it moved. */
  async renewBatch(): Promise<number> {
    const now = this.clock.now();
    return this.session.run({}, async (em) => {
      await this.session.enterPlatform(em);
      const due = await em.find(
        Subscription,
        { status: { $in: DUE_STATUSES as never }, currentPeriodEnd: { $lte: now } },
        { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, limit: this.config.RENEWAL_BATCH_SIZE, orderBy: { currentPeriodEnd: 'asc' }, filters: false },
      );
      if (!due.length) return 0;
      await em.populate(due, ['plan', 'planVersion', 'planVersion.plan', 'scheduledPlanVersion', 'scheduledPlanVersion.plan'], { filters: false });

      const charges: (RenewalCharge & { fromTrial: boolean })[] = [];
      for (const subscription of due) {
        const scheduled = subscription.scheduledPlanVersion;
        const decision = decideRenewal(subscription, terms(subscription.planVersion), scheduled ? terms(scheduled) : null, now);
        if (decision.kind === 'cancel' || decision.kind === 'expire') {
          const event = decision.kind === 'cancel' ? 'cancelled_at_period_end' : 'term_completed';
          subscription.status = transition(subscription.status, event);
          subscription.endedAt = decision.endedAt;
          subscription.endedReason = event;
          subscription.scheduledPlanVersion = null;
          this.record(subscription, `subscription.${event}`, {});
        } else if (decision.kind === 'renew') {
          const version = scheduled && decision.version.id === scheduled.id ? scheduled : subscription.planVersion;
          subscription.plan = version.plan;
          subscription.planVersion = version;
          subscription.scheduledPlanVersion = null;
          subscription.billingAnchor = decision.anchor;
          subscription.currentPeriodStart = decision.periodStart;
          subscription.currentPeriodEnd = decision.periodEnd;
          subscription.cyclesBilled += 1;
          charges.push({
            subscription,
            fromTrial: decision.fromTrial,
            lines: [periodLine(version.plan.name, version.priceAmount, decision.periodStart, decision.periodEnd)],
          });
        }
        subscription.updatedAt = now;
      }

      const outcomes = charges.length ? await this.billing.invoiceRenewals(charges) : [];
      outcomes.forEach((outcome, i) => {
        const { subscription, fromTrial } = charges[i];
        const event = outcome.paid ? (fromTrial ? 'trial_converted' : 'renewed') : fromTrial ? 'trial_payment_failed' : 'renewal_payment_failed';
        subscription.status = transition(subscription.status, event);
        this.record(subscription, `subscription.${event}`, {
          invoice: outcome.invoice.number,
          periodStart: subscription.currentPeriodStart.toISOString(),
          periodEnd: subscription.currentPeriodEnd.toISOString(),
          ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
        });
      });
      await em.flush();
      this.logger.log({ renewed: charges.length, ended: due.length - charges.length }, 'renewal batch');
      return due.length;
    });
  }

  private record(subscription: Subscription, action: string, after: Record<string, unknown>): void {
    this.audit.record({
      action,
      targetType: 'subscription',
      targetId: subscription.id,
      tenantId: subscription.tenantId,
      actorUserId: null,
      after: { status: subscription.status, plan: subscription.plan.code, ...after },
    });
  }
}
