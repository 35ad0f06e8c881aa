import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { TenantSession } from '../../database/tenant-session.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditEntry, AuditService } from '../audit/audit.service.js';
import type { Interval } from './billing-period.rules.js';
import { decideRenewal, RenewalTerms } from './renewal.rules.js';
import { RenewalBilling, RenewalCharge } from './subscription-billing.port.js';
import { RENEW_JOB } from './subscription-payments.js';
import { SubscriptionStatus, transition } from './subscription-state.rules.js';

interface DueRow {
  id: string;
  tenant_id: string;
  status: SubscriptionStatus;
  cancel_at_period_end: boolean;
  billing_anchor: string;
  current_period_start: string;
  current_period_end: string;
  cycles_billed: number;
  cycles_on_version: number;
  payment_method_id: string | null;
  [column: `${'v' | 's'}_${string}`]: string | number | null;
}

interface VersionRow extends RenewalTerms {
  planId: string;
  planCode: string;
  planName: string;
  price: bigint;
  currency: string;
}

/** A subscription's row after the batch (written back with MOVE_SQL). */
interface SubscriptionMove {
  id: string;
  tenant_id: string;
  status: string;
  plan_id: string;
  plan_version_id: string;
  billing_anchor: string;
  period_start: string;
  period_end: string;
  cycles_billed: number;
  cycles_on_version: number;
  ended_at: string | null;
  ended_reason: string | null;
  plan_code: string;
}

const versionColumns = (alias: 'v' | 's', version: string, plan: string) =>
  ['id', 'price_amount', 'currency', 'interval', 'interval_count', 'duration_cycles']
    .map((c) => `${version}.${c} as ${alias}_${c}`)
    .concat([`${plan}.id as ${alias}_plan_id`, `${plan}.code as ${alias}_plan_code`, `${plan}.name as ${alias}_plan_name`])
    .join(', ');

/** Due subscriptions with their pinned and scheduled versions, locked; rows other workers hold are skipped. */
const DUE_SQL = `
  select s.id, s.tenant_id, s.status, s.cancel_at_period_end, s.billing_anchor, s.current_period_start,
         s.current_period_end, s.cycles_billed, s.cycles_on_version, s.payment_method_id, ${versionColumns('v', 'v', 'p')}, ${versionColumns('s', 'sv', 'sp')}
    from subscriptions s
    join plan_versions v on v.id = s.plan_version_id
    join plans p on p.id = v.plan_id
    left join plan_versions sv on sv.id = s.scheduled_plan_version_id
    left join plans sp on sp.id = sv.plan_id
   where s.status in ('active', 'trialing') and s.current_period_end <= ?
   order by s.current_period_end
   limit ?
   for update of s skip locked`;

/** Writes every moved subscription back in one statement. */
const MOVE_SQL = `
  update subscriptions s
     set status = m.status, plan_id = m.plan_id, plan_version_id = m.plan_version_id, scheduled_plan_version_id = null,
         billing_anchor = m.billing_anchor, current_period_start = m.period_start, current_period_end = m.period_end,
         cycles_billed = m.cycles_billed, cycles_on_version = m.cycles_on_version, ended_at = m.ended_at,
         ended_reason = m.ended_reason, updated_at = ?
    from json_to_recordset(?::json) as m(id uuid, status text, plan_id uuid, plan_version_id uuid, billing_anchor timestamptz,
         period_start timestamptz, period_end timestamptz, cycles_billed int, cycles_on_version int, ended_at timestamptz,
         ended_reason text)
   where s.id = m.id`;

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
  ) {}

  /** Finds due work as of the application clock and enqueues it (deterministic job ids collapse duplicates). */
  async scan(): Promise<{ renewals: number; collections: number; chargesReconciled: number }> {
    const now = this.clock.now();
    const due = await this.session.runPlatform(null, async (em) => {
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
    const chargesReconciled = await this.billing.reconcileCharges();
    return { renewals: due.length, collections, chargesReconciled };
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

  /**
   * One batch, one transaction, set-based: one query locks and reads the due subscriptions with
   * their plan versions, billing writes every invoice in multi-row inserts, one statement moves
   * the subscriptions, one insert writes the audit entries. Returns how many it moved.
   */
  async renewBatch(): Promise<number> {
    const now = this.clock.now();
    return this.session.runPlatform(null, async (em) => {
      const due = await em.execute<DueRow[]>(DUE_SQL, [now, this.config.RENEWAL_BATCH_SIZE]);
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
          planName: version.planName,
          price: version.price,
          currency: version.currency,
          periodStart: decision.periodStart,
          periodEnd: decision.periodEnd,
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
      await em.execute(MOVE_SQL, [now, JSON.stringify(moves)]);
      // An ended subscription is never charged again: its open invoices are settled now.
      await this.billing.voidOpenInvoices(moves.filter((m) => m.ended_reason).map((m) => m.id));
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
