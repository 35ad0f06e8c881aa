import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { TenantSession } from '../../database/tenant-session.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditEntry, AuditService } from '../audit/audit.service.js';
import type { Interval } from '../plans/plan-terms.rules.js';
import { periodLine } from './proration.rules.js';
import { decideRenewal, RenewalTerms } from './renewal.rules.js';
import { RenewalBilling, RenewalCharge } from './subscription-billing.port.js';
import { RENEW_DUE_JOB } from './subscriptions.jobs.js';
import { SubscriptionStatus, transition } from './subscription-state.rules.js';
import { DueRow, SubscriptionMove, SubscriptionRepository } from './subscription.repository.js';

interface VersionRow extends RenewalTerms {
  planId: string;
  planCode: string;
  planName: string;
  price: bigint;
  currency: string;
}

function versionOf(row: DueRow, alias: 'v' | 's'): VersionRow {
  const col = (name: string) => row[`${alias}_${name}`];
  return {
    id: col('id') as string,
    interval: col('interval') as Interval,
    intervalCount: Number(col('interval_count')),
    durationCycles: col('duration_cycles') === null ? null : Number(col('duration_cycles')),
    planId: col('plan_id') as string,
    planCode: col('plan_code') as string,
    planName: col('plan_name') as string,
    price: BigInt(col('price_amount') as string),
    currency: col('currency') as string,
  };
}

/**
 * Renewals across tenants. This is the worker's explicit cross-tenant path: each batch runs in
 * one transaction on the platform pool as `eshtarek_platform` (TenantSession.runPlatform), takes due subscriptions
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
    private readonly subscriptions: SubscriptionRepository,
  ) {}

  /**
   * Finds due work as of the application clock and enqueues it: `renew-due` sweeps, as many as
   * batches are due up to the worker's concurrency (each sweep renews whatever it can lock, so
   * they split the work), the collections that are due, and the reconciliation of lost charges.
   */
  async scan(): Promise<{ renewals: number; collections: number; chargesReconciled: number }> {
    const now = this.clock.now();
    const due = await this.session.runPlatform(null, (em) => this.subscriptions.countDue(em, now));
    const sweeps = Math.min(Math.ceil(due / this.config.RENEWAL_BATCH_SIZE), this.config.WORKER_CONCURRENCY);
    if (sweeps > 0) {
      await this.jobs.queue(QUEUES.renewals).addBulk(
        Array.from({ length: sweeps }, (_, k) => ({
          name: RENEW_DUE_JOB,
          data: {},
          opts: workJob(`renew-due-${now.getTime()}-${k}`),
        })),
      );
    }
    const collections = await this.billing.enqueueDueCollections(now);
    const chargesReconciled = await this.billing.reconcileCharges();
    return { renewals: due, collections, chargesReconciled };
  }

  /**
   * Renews due subscriptions batch after batch until none is due (catching up period by period):
   * all it can lock, or only `subscriptionId` when given.
   */
  async renewAllDue(subscriptionId: string | null = null): Promise<number> {
    let total = 0;
    for (;;) {
      const renewed = await this.renewBatch(subscriptionId);
      total += renewed;
      if (renewed === 0) return total;
    }
  }

  /**
   * One batch, one transaction, set-based: one query locks and reads the due subscriptions with
   * their plan versions, billing writes every invoice in multi-row inserts, one statement moves
   * the subscriptions, one insert writes the audit entries. Returns how many it moved.
   */
  async renewBatch(subscriptionId: string | null = null): Promise<number> {
    const now = this.clock.now();
    return this.session.runPlatform(null, async (em) => {
      const due = await this.subscriptions.lockDue(em, now, this.config.RENEWAL_BATCH_SIZE, subscriptionId);
      if (!due.length) return 0;

      const moves: SubscriptionMove[] = [];
      const charges: (RenewalCharge & { move: SubscriptionMove; fromTrial: boolean; planCode: string })[] = [];
      for (const row of due) {
        const current = versionOf(row, 'v');
        const scheduled = row.s_id ? versionOf(row, 's') : null;
        const decision = decideRenewal(
          {
            status: row.status,
            cancelAtPeriodEnd: row.cancel_at_period_end,
            billingAnchor: new Date(row.billing_anchor),
            currentPeriodEnd: new Date(row.current_period_end),
            cyclesOnVersion: row.cycles_on_version,
          },
          current,
          scheduled,
          now,
        );
        if (decision.kind === 'none') continue;
        if (decision.kind !== 'renew') {
          const event = decision.kind === 'cancel' ? 'cancelled_at_period_end' : 'term_completed';
          moves.push({
            id: row.id,
            tenant_id: row.tenant_id,
            status: transition(row.status, event),
            plan_id: current.planId,
            plan_version_id: current.id,
            billing_anchor: row.billing_anchor,
            period_start: row.current_period_start,
            period_end: row.current_period_end,
            cycles_billed: row.cycles_billed,
            cycles_on_version: row.cycles_on_version,
            ended_at: decision.endedAt.toISOString(),
            ended_reason: event,
            plan_code: current.planCode,
          });
          continue;
        }
        const version = decision.version as VersionRow;
        const move: SubscriptionMove = {
          id: row.id,
          tenant_id: row.tenant_id,
          status: row.status,
          plan_id: version.planId,
          plan_version_id: version.id,
          billing_anchor: decision.anchor.toISOString(),
          period_start: decision.periodStart.toISOString(),
          period_end: decision.periodEnd.toISOString(),
          cycles_billed: row.cycles_billed + 1,
          cycles_on_version: decision.cyclesOnVersion,
          ended_at: null,
          ended_reason: null,
          plan_code: version.planCode,
        };
        moves.push(move);
        charges.push({
          move,
          fromTrial: decision.fromTrial,
          planCode: version.planCode,
          subscriptionId: row.id,
          tenantId: row.tenant_id,
          paymentMethodId: row.payment_method_id,
          currency: version.currency,
          period: { start: decision.periodStart, end: decision.periodEnd },
          lines: [periodLine(version.planName, version.price, decision.periodStart, decision.periodEnd)],
        });
      }

      const outcomes = await this.billing.invoiceRenewals(charges);
      const audits: AuditEntry[] = [];
      outcomes.forEach((outcome, i) => {
        const { move, fromTrial } = charges[i];
        const event = outcome.paid
          ? fromTrial
            ? 'trial_converted'
            : 'renewed'
          : fromTrial
            ? 'trial_payment_failed'
            : 'renewal_payment_failed';
        move.status = transition(move.status as SubscriptionStatus, event);
        audits.push(
          this.entry(move, `subscription.${event}`, {
            invoice: outcome.invoice.number,
            periodStart: move.period_start,
            periodEnd: move.period_end,
            failureCode: outcome.failureCode,
          }),
        );
      });
      for (const move of moves.filter((m) => m.ended_reason))
        audits.push(this.entry(move, `subscription.${move.ended_reason}`, {}));
      await this.subscriptions.moveAll(em, now, moves);
      // An ended subscription is never charged again: its open invoices are settled now.
      await this.billing.voidOpenInvoicesOfEnded(moves.filter((m) => m.ended_reason).map((m) => m.id));
      await this.audit.recordMany(audits);
      this.logger.log({ renewed: charges.length, ended: moves.length - charges.length }, 'renewal batch');
      return due.length;
    });
  }

  private entry(move: SubscriptionMove, action: string, after: Record<string, unknown>): AuditEntry {
    return {
      action,
      targetType: 'subscription',
      targetId: move.id,
      tenantId: move.tenant_id,
      after: { status: move.status, plan: move.plan_code, ...after },
    };
  }
}
