import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RequiredEntityData } from '@mikro-orm/core';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { TenantSession } from '../../database/tenant-session.js';
import { pgArray } from '../../database/sql.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditEntry, AuditService } from '../audit/audit.service.js';
import { newId } from '../../database/ids.js';
import { periodLine } from '../subscriptions/proration.rules.js';
import { InvoicePricing, priceInvoice } from './invoice-pricing.rules.js';
import type { Line } from '../subscriptions/proration.rules.js';
import {
  BilledInvoice,
  ChargeOutcome,
  RenewalBilling,
  RenewalCharge,
  SubscriptionBilling,
} from '../subscriptions/subscription-billing.port.js';
import { SubscriptionPayments } from '../subscriptions/subscription-payments.js';
import { isLive, LIVE_STATUSES } from '../subscriptions/subscription-state.rules.js';
import { Subscription } from '../subscriptions/subscription.entity.js';
import type { InvoiceDto } from '../subscriptions/dto/invoice.dto.js';
import { CreditEntry } from './credit-entry.entity.js';
import { InvoiceLine } from './invoice-line.entity.js';
import { BillingReason, Invoice } from './invoice.entity.js';
import type { PaymentMethod } from './payment-method.entity.js';
import { Payment } from './payment.entity.js';
import type { CreditReason } from './credit.rules.js';
import { afterFailedAttempt, automaticAttemptDue } from './dunning.rules.js';
import { invoiceDto } from './dto/billing.dto.js';
import { ChargeIntents, IntentWriter } from './charge-intents.service.js';
import { ChargeResult, PaymentGateway } from './payment-gateway.js';
import { PaymentMethodsService } from './payment-methods.service.js';

export const COLLECT_INVOICE_JOB = 'collect-invoice';

export interface InvoiceDraft {
  subscription: Subscription;
  lines: Line[];
  reason: BillingReason;
  /** The service period the invoice bills (its header), stated by the caller rather than guessed from the lines. */
  period: { start: Date; end: Date };
}

export interface CollectionResult {
  paid: boolean;
  failureCode: string | null;
}

const CHARGE_CONCURRENCY = 64;

/** An attempt whose charge the reconciler had already refunded: it paid nothing. */
const CHARGE_REFUNDED: ChargeResult = { id: '', status: 'failed', failureCode: 'charge_refunded' };

/** Statuses a subscription can still be charged in (subscription-state.rules.ts's LIVE_STATUSES). */
const LIVE_SQL = LIVE_STATUSES.map((s) => `'${s}'`).join(', ');

/** The card a charge uses: its id and the provider's token. */
type CardRef = Pick<PaymentMethod, 'id' | 'providerToken'>;

/** An invoice line as stored: the billed lines plus credit movements. */
type StoredLine = Omit<Line, 'kind' | 'calculation'> & { kind: InvoiceLine['kind']; calculation: Line['calculation'] | null };

/** Whose card a charge uses: the subscription's own, or (null, or removed) the tenant's default. */
interface CardChoice {
  tenantId: string;
  paymentMethodId: string | null;
}

/**
 * Invoices and collection, set-based so that the renewal worker can bill hundreds of
 * subscriptions per transaction; single invoices go through the same code. An invoice is numbered
 * per tenant, uses the tenant's credit balance first (a net-negative invoice adds to it instead),
 * and is charged through the gateway with a deterministic key per attempt, so a re-run job or a
 * rolled-back transaction never charges twice. A failed charge starts dunning on the invoice.
 */
@Injectable()
export class InvoicingService extends SubscriptionBilling implements RenewalBilling {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly gateway: PaymentGateway,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
    private readonly context: RequestContext,
    private readonly session: TenantSession,
    private readonly payments: SubscriptionPayments,
    private readonly intents: ChargeIntents,
  ) {
    super();
  }

  async resolvePaymentMethod(paymentMethodId?: string | null): Promise<string | null> {
    return (await this.paymentMethods.find(paymentMethodId))?.id ?? null;
  }

  async invoiceAndCharge(subscription: Subscription, lines: Line[], paymentMethodId: string | null): Promise<ChargeOutcome> {
    const period = { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd };
    const [invoice] = await this.createInvoices([{ subscription, lines, reason: 'subscription_create', period }]);
    if (invoice.status !== 'open') return { invoice: this.billed(invoice), paid: true, failureCode: null };
    const key = await this.firstChargeKey(subscription);
    const [result] = await this.collectMany(
      [invoice],
      true,
      [{ tenantId: invoice.tenantId, paymentMethodId }],
      key ? [key] : undefined,
    );
    return { invoice: this.billed(invoice), ...result };
  }

  /**
   * A subscribe retried with its `Idempotency-Key` after its transaction was lost (the charge made,
   * the commit not) must reach the same gateway charge, not a second one: the first charge's key
   * derives from the request's key while no settled intent holds it (one that settled belongs to
   * an earlier subscribe whose idempotency record has expired). Without a key: null (the default).
   */
  private async firstChargeKey(subscription: Subscription): Promise<string | null> {
    const requestKey = this.context.idempotencyKeyOrNull;
    if (!requestKey) return null;
    const digest = createHash('sha256').update(requestKey).digest('base64url');
    const key = `subscribe:${subscription.tenantId}:${subscription.planVersion.id}:${digest}:attempt-1`;
    const [held] = await this.em.execute<{ status: string }[]>('select status from charge_intents where charge_key = ?', [key]);
    return !held || held.status === 'pending' || held.status === 'abandoned' ? key : null;
  }

  async invoiceAndCollectLater(
    subscription: Subscription,
    lines: Line[],
    period: { start: Date; end: Date },
  ): Promise<InvoiceDto> {
    const [invoice] = await this.createInvoices([{ subscription, lines, reason: 'subscription_update', period }]);
    if (invoice.status === 'open') this.enqueueCollection(invoice);
    return invoiceDto(invoice, await this.em.find(InvoiceLine, { invoice }, { orderBy: { position: 'asc' } }));
  }

  /**
   * Renewal invoices, set-based: numbers, balances and cards in one query each, the charges in
   * parallel (keys derive from subscription and period, so no invoice id is needed yet), then each
   * table written with one multi-row insert, invoices already in their final state.
   */
  async invoiceRenewals(items: RenewalCharge[]): Promise<ChargeOutcome[]> {
    if (!items.length) return [];
    const now = this.clock.now();
    const tenantIds = items.map((i) => i.tenantId);
    const numbers = await this.nextNumbers(tenantIds);
    const cards = await this.cardsFor(items);
    const balances = new Map<string, bigint>();
    for (const currency of new Set(items.map((i) => i.currency))) {
      for (const [tenant, balance] of await this.balances(tenantIds, currency)) balances.set(`${tenant}:${currency}`, balance);
    }
    const drafts = items.map((item, i) => {
      const line = periodLine(item.planName, item.price, item.periodStart, item.periodEnd);
      const pricing = priceInvoice([line.amount], balances.get(`${item.tenantId}:${item.currency}`) ?? 0n);
      const key = `cycle:${item.subscriptionId}:${item.periodStart.toISOString()}:attempt-1`;
      return { item, id: newId(), number: numbers[i], line, pricing, card: cards[i], key };
    });
    const charged = await this.chargeAll(
      'platform',
      drafts.map((d) => ({
        charge: d.pricing.total > 0n,
        tenantId: d.item.tenantId,
        invoiceId: d.id,
        card: d.card,
        amount: d.pricing.total,
        currency: d.item.currency,
        key: d.key,
      })),
    );

    const invoices: RequiredEntityData<Invoice>[] = [];
    const lines: RequiredEntityData<InvoiceLine>[] = [];
    const payments: RequiredEntityData<Payment>[] = [];
    const credits: RequiredEntityData<CreditEntry>[] = [];
    const audits: AuditEntry[] = [];
    for (const [i, d] of drafts.entries()) {
      const result = charged[i];
      const paid = !result || result.status === 'succeeded';
      const { tenantId, subscriptionId, currency, periodStart, periodEnd } = d.item;
      const schedule = paid
        ? { dunningStartedAt: null, autoAttemptCount: result ? 1 : 0, nextAttemptAt: null }
        : afterFailedAttempt({ dunningStartedAt: null, autoAttemptCount: 0, nextAttemptAt: null }, true, now);
      invoices.push({
        id: d.id,
        tenantId,
        number: d.number,
        subscription: subscriptionId,
        billingReason: 'subscription_cycle' as const,
        status: paid ? ('paid' as const) : ('open' as const),
        currency,
        subtotalAmount: d.pricing.subtotal,
        creditAppliedAmount: d.pricing.creditApplied,
        creditAddedAmount: d.pricing.creditAdded,
        totalAmount: d.pricing.total,
        periodStart,
        periodEnd,
        attemptCount: result ? 1 : 0,
        autoAttemptCount: schedule.autoAttemptCount,
        dunningStartedAt: schedule.dunningStartedAt,
        nextAttemptAt: schedule.nextAttemptAt,
        paidAt: paid ? now : null,
        createdAt: now,
        updatedAt: now,
      });
      lines.push({
        id: newId(),
        tenantId,
        invoice: d.id,
        position: 0,
        kind: d.line.kind,
        description: d.line.description,
        amount: d.line.amount,
        periodStart,
        periodEnd,
        calculation: { ...d.line.calculation },
      });
      if (d.pricing.creditApplied > 0n) {
        lines.push({
          id: newId(),
          tenantId,
          invoice: d.id,
          position: 1,
          kind: 'credit_applied',
          description: 'Credit balance applied',
          amount: -d.pricing.creditApplied,
          periodStart,
          periodEnd,
          calculation: null,
        });
        credits.push({
          id: newId(),
          tenantId,
          currency,
          amount: -d.pricing.creditApplied,
          reason: 'applied_to_invoice',
          invoice: d.id,
          createdAt: now,
        });
      }
      if (result) {
        payments.push({
          id: newId(),
          tenantId,
          invoice: d.id,
          paymentMethodId: d.card?.id ?? null,
          amount: d.pricing.total,
          currency,
          status: result.status,
          failureCode: result.failureCode,
          providerChargeId: result.id || null,
          chargeKey: d.card ? d.key : null,
          attempt: 1,
          createdAt: now,
        });
      }
      audits.push({
        action: result ? (paid ? 'invoice.paid' : 'invoice.payment_failed') : 'invoice.created',
        targetType: 'invoice',
        targetId: d.id,
        tenantId,
        after: {
          number: d.number,
          reason: 'subscription_cycle',
          totalAmount: Number(d.pricing.total),
          failureCode: result?.failureCode ?? null,
        },
      });
    }
    await this.em.insertMany(Invoice, invoices);
    await this.em.insertMany(InvoiceLine, lines);
    if (payments.length) await this.em.insertMany(Payment, payments);
    if (credits.length) await this.em.insertMany(CreditEntry, credits);
    await this.audit.recordMany(audits);
    return drafts.map((d, i) => {
      const paid = charged[i] === null || charged[i]!.status === 'succeeded';
      return {
        invoice: { id: d.id, number: d.number, status: paid ? 'paid' : 'open', totalAmount: d.pricing.total },
        paid,
        failureCode: charged[i]?.failureCode ?? null,
      };
    });
  }

  /** Voids an open invoice (a failed first charge); false when it was not open. */
  async voidInvoice(invoiceId: string): Promise<boolean> {
    return (await this.voidOpen('id', [invoiceId])) === 1;
  }

  /** Voids every open invoice of the subscriptions (they ended); how many. */
  voidOpenInvoices(subscriptionIds: string[]): Promise<number> {
    return this.voidOpen('subscription_id', subscriptionIds);
  }

  /**
   * Voids open invoices, set-based (one update, one ledger insert, one audit insert): nothing more
   * is collected on them, and the credit each used goes back to the balance in the same transaction.
   */
  private async voidOpen(column: 'id' | 'subscription_id', ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    const now = this.clock.now();
    const voided = await this.em.execute<
      { id: string; tenant_id: string; number: string; currency: string; credit_applied_amount: string }[]
    >(
      `update invoices set status = 'void', next_attempt_at = null, updated_at = ?
        where ${column} = any(?::uuid[]) and status = 'open'
        returning id, tenant_id, number, currency, credit_applied_amount`,
      [now, pgArray(ids)],
    );
    const returned = voided.filter((v) => BigInt(v.credit_applied_amount) > 0n);
    if (returned.length) {
      await this.em.insertMany(
        CreditEntry,
        returned.map((v) => ({
          id: newId(),
          tenantId: v.tenant_id,
          currency: v.currency,
          amount: BigInt(v.credit_applied_amount),
          reason: 'invoice_voided' as const,
          invoice: v.id,
          createdAt: now,
        })),
      );
    }
    await this.audit.recordMany(
      voided.map((v) => ({
        action: 'invoice.voided',
        targetType: 'invoice',
        targetId: v.id,
        tenantId: v.tenant_id,
        after: { number: v.number, status: 'void', creditReturned: Number(v.credit_applied_amount) },
      })),
    );
    return voided.length;
  }

  async hasOpenInvoice(subscriptionId: string): Promise<boolean> {
    return (await this.em.count(Invoice, { subscription: subscriptionId, status: 'open' })) > 0;
  }

  async priceLines(lines: Line[], currency: string): Promise<InvoicePricing> {
    const balance = (await this.balances([this.context.tenantId], currency)).get(this.context.tenantId) ?? 0n;
    return priceInvoice(
      lines.map((l) => l.amount),
      balance,
    );
  }

  async addCredit(currency: string, amount: bigint, reason: CreditReason): Promise<void> {
    if (amount <= 0n) return;
    this.em.create(CreditEntry, {
      tenantId: this.context.tenantId,
      currency,
      amount,
      reason,
      invoice: null,
      createdAt: this.clock.now(),
    });
    await this.em.flush();
  }

  async reconcileCharges(): Promise<number> {
    const { refunded, failed, abandoned } = await this.intents.reconcile();
    return refunded + failed + abandoned;
  }

  /**
   * Open invoices of live subscriptions whose automatic attempt is due — a retry, or the first
   * collection of a proration invoice whose job was lost — across tenants.
   */
  async enqueueDueCollections(now: Date): Promise<number> {
    const due = await this.session.runPlatform(null, async (em) => {
      return em.execute<{ id: string; tenant_id: string; subscription_id: string; auto_attempt_count: number }[]>(
        `select i.id, i.tenant_id, i.subscription_id, i.auto_attempt_count from invoices i
           join subscriptions s on s.id = i.subscription_id and s.status in (${LIVE_SQL})
          where i.status = 'open'
            and (i.next_attempt_at <= ? or (i.auto_attempt_count = 0 and i.billing_reason = 'subscription_update'))`,
        [now],
      );
    });
    const enqueue = (queue: typeof QUEUES.proration | typeof QUEUES.paymentRetries, rows: typeof due) =>
      rows.length
        ? this.jobs.queue(queue).addBulk(
            rows.map((i) => ({
              name: COLLECT_INVOICE_JOB,
              data: { tenantId: i.tenant_id, invoiceId: i.id, subscriptionId: i.subscription_id },
              opts: workJob(`invoice-${i.id}-auto-${i.auto_attempt_count + 1}`),
            })),
          )
        : null;
    await enqueue(
      QUEUES.proration,
      due.filter((i) => i.auto_attempt_count === 0),
    );
    await enqueue(
      QUEUES.paymentRetries,
      due.filter((i) => i.auto_attempt_count > 0),
    );
    return due.length;
  }

  /**
   * One collection attempt on an open invoice under its row lock: `automatic` for the schedule's
   * own attempts (a proration job, a dunning retry), otherwise a tenant's "pay now", which never
   * moves the schedule. An invoice whose subscription has ended is never charged. Reports the
   * outcome to the subscription.
   */
  async collectOpen(invoiceId: string, automatic: boolean): Promise<CollectionResult & { status: string }> {
    // Subscription first, then invoice: the order a cancellation and a renewal lock them in, so a
    // charge racing a cancel-now waits for it (and then finds the invoice void) instead of deadlocking.
    const [head] = await this.em.execute<{ subscription_id: string }[]>('select subscription_id from invoices where id = ?', [
      invoiceId,
    ]);
    if (!head) return { paid: false, failureCode: null, status: 'missing' };
    const subscription = await this.em.findOneOrFail(Subscription, head.subscription_id, {
      lockMode: LockMode.PESSIMISTIC_WRITE,
      refresh: true,
    });
    const invoice = await this.em.findOneOrFail(Invoice, invoiceId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (invoice.status !== 'open') return { paid: false, failureCode: null, status: invoice.status };
    if (automatic && !automaticAttemptDue(invoice, this.clock.now()))
      return { paid: false, failureCode: null, status: 'not_due' };
    if (!isLive(subscription.status)) return { paid: false, failureCode: null, status: `subscription_${subscription.status}` };
    const [result] = await this.collectMany([invoice], automatic, [
      { tenantId: invoice.tenantId, paymentMethodId: subscription.paymentMethodId },
    ]);
    if (result.paid) {
      await this.payments.recovered(subscription, await this.em.count(Invoice, { subscription, status: 'open' }));
    } else if (result.exhausted) {
      invoice.status = 'uncollectible';
      await this.em.flush();
      this.audit.record({
        action: 'invoice.uncollectible',
        targetType: 'invoice',
        targetId: invoice.id,
        tenantId: invoice.tenantId,
        after: { number: invoice.number },
      });
      await this.payments.exhausted(subscription);
    } else {
      await this.payments.failed(subscription, result.failureCode);
    }
    return { paid: result.paid, failureCode: result.failureCode, status: invoice.status };
  }

  /** Writes invoices with their lines; numbering takes each tenant's counter row lock, which also serialises its credit use. */
  async createInvoices(drafts: InvoiceDraft[]): Promise<Invoice[]> {
    if (!drafts.length) return [];
    const now = this.clock.now();
    const numbers = await this.nextNumbers(drafts.map((d) => d.subscription.tenantId));
    const byCurrency = new Map<string, string[]>();
    for (const d of drafts)
      byCurrency.set(d.subscription.planVersion.currency, [
        ...(byCurrency.get(d.subscription.planVersion.currency) ?? []),
        d.subscription.tenantId,
      ]);
    const balances = new Map<string, bigint>();
    for (const [currency, tenants] of byCurrency) {
      for (const [tenant, balance] of await this.balances(tenants, currency)) balances.set(`${tenant}:${currency}`, balance);
    }

    const invoices = drafts.map(({ subscription, lines, reason, period }, i) => {
      const tenantId = subscription.tenantId;
      const currency = subscription.planVersion.currency;
      const balanceKey = `${tenantId}:${currency}`;
      const { subtotal, creditApplied, creditAdded, total } = priceInvoice(
        lines.map((l) => l.amount),
        balances.get(balanceKey) ?? 0n,
      );
      balances.set(balanceKey, (balances.get(balanceKey) ?? 0n) - creditApplied + creditAdded);
      const { start: periodStart, end: periodEnd } = period;
      const invoice = this.em.create(Invoice, {
        tenantId,
        number: numbers[i],
        subscription,
        billingReason: reason,
        status: total > 0n ? 'open' : 'paid',
        currency,
        subtotalAmount: subtotal,
        creditAppliedAmount: creditApplied,
        creditAddedAmount: creditAdded,
        totalAmount: total,
        periodStart,
        periodEnd,
        attemptCount: 0,
        autoAttemptCount: 0,
        nextAttemptAt: null,
        paidAt: total > 0n ? null : now,
        createdAt: now,
        updatedAt: now,
      });
      const allLines: StoredLine[] = lines.map((l) => ({ ...l, calculation: { ...l.calculation } }));
      if (creditApplied > 0n) {
        allLines.push({
          kind: 'credit_applied',
          description: 'Credit balance applied',
          amount: -creditApplied,
          periodStart,
          periodEnd,
          calculation: null,
        });
        this.em.create(CreditEntry, {
          tenantId,
          currency,
          amount: -creditApplied,
          reason: 'applied_to_invoice',
          invoice,
          createdAt: now,
        });
      }
      if (creditAdded > 0n) {
        allLines.push({
          kind: 'credit_to_balance',
          description: 'Unused amount added to your credit balance',
          amount: creditAdded,
          periodStart,
          periodEnd,
          calculation: null,
        });
        this.em.create(CreditEntry, {
          tenantId,
          currency,
          amount: creditAdded,
          reason: 'proration_credit',
          invoice,
          createdAt: now,
        });
      }
      allLines.forEach((line, position) =>
        this.em.create(InvoiceLine, {
          tenantId,
          invoice,
          position,
          kind: line.kind,
          description: line.description,
          amount: line.amount,
          periodStart: line.periodStart,
          periodEnd: line.periodEnd,
          calculation: line.calculation,
        }),
      );
      this.audit.record({
        action: 'invoice.created',
        targetType: 'invoice',
        targetId: invoice.id,
        tenantId,
        after: {
          number: invoice.number,
          status: invoice.status,
          totalAmount: Number(total),
          creditApplied: Number(creditApplied),
          reason,
        },
      });
      return invoice;
    });
    await this.em.flush();
    return invoices;
  }

  /**
   * One charge attempt per invoice, all at once, each with the card `cards[i]` chooses. Every
   * attempt is a payment record; an automatic failure walks the dunning schedule (dunning.rules.ts).
   */
  async collectMany(
    invoices: Invoice[],
    automatic: boolean,
    choices: CardChoice[],
    keys?: string[],
  ): Promise<(CollectionResult & { exhausted: boolean })[]> {
    if (!invoices.length) return [];
    const now = this.clock.now();
    const cards = await this.cardsFor(choices);
    const results = (await this.chargeAll(
      'tenant',
      invoices.map((invoice, i) => ({
        charge: true,
        tenantId: invoice.tenantId,
        invoiceId: invoice.id,
        card: cards[i],
        amount: invoice.totalAmount,
        currency: invoice.currency,
        key: keys?.[i] ?? this.chargeKey(invoice, invoice.attemptCount + 1),
      })),
    )) as ChargeResult[];
    const outcomes = invoices.map((invoice, i) => {
      const result = results[i];
      invoice.attemptCount += 1;
      invoice.updatedAt = now;
      this.em.create(Payment, {
        tenantId: invoice.tenantId,
        invoice,
        paymentMethodId: cards[i]?.id ?? null,
        amount: invoice.totalAmount,
        currency: invoice.currency,
        status: result.status,
        failureCode: result.failureCode,
        providerChargeId: result.id || null,
        chargeKey: cards[i] ? (keys?.[i] ?? this.chargeKey(invoice, invoice.attemptCount)) : null,
        attempt: invoice.attemptCount,
        createdAt: now,
      });
      let exhausted = false;
      if (result.status === 'succeeded') {
        if (automatic) invoice.autoAttemptCount += 1;
        invoice.status = 'paid';
        invoice.paidAt = now;
        invoice.nextAttemptAt = null;
      } else {
        const schedule = afterFailedAttempt(invoice, automatic, now);
        invoice.dunningStartedAt = schedule.dunningStartedAt;
        invoice.autoAttemptCount = schedule.autoAttemptCount;
        invoice.nextAttemptAt = schedule.nextAttemptAt;
        exhausted = schedule.exhausted;
      }
      this.audit.record({
        action: result.status === 'succeeded' ? 'invoice.paid' : 'invoice.payment_failed',
        targetType: 'invoice',
        targetId: invoice.id,
        tenantId: invoice.tenantId,
        after: {
          number: invoice.number,
          attempt: invoice.attemptCount,
          automatic,
          amount: Number(invoice.totalAmount),
          failureCode: result.failureCode,
        },
      });
      return { paid: result.status === 'succeeded', failureCode: result.failureCode, exhausted };
    });
    await this.em.flush();
    return outcomes;
  }

  /**
   * Charges through the gateway, CHARGE_CONCURRENCY at a time; `null` where nothing is to be
   * charged. Each charge's intent is committed first (ChargeIntents) and settled here in the
   * caller's transaction, beside the payment the caller writes with the same key.
   */
  private async chargeAll(
    writer: IntentWriter,
    requests: {
      charge: boolean;
      tenantId: string;
      invoiceId: string;
      card: CardRef | null;
      amount: bigint;
      currency: string;
      key: string;
    }[],
  ): Promise<(ChargeResult | null)[]> {
    const results: (ChargeResult | null)[] = new Array(requests.length).fill(null);
    const toGateway = requests.filter((r) => r.charge && r.card);
    const refunded = await this.intents.record(
      writer,
      toGateway.map((r) => ({
        tenantId: r.tenantId,
        chargeKey: r.key,
        invoiceId: r.invoiceId,
        amount: r.amount,
        currency: r.currency,
      })),
    );
    for (let start = 0; start < requests.length; start += CHARGE_CONCURRENCY) {
      await Promise.all(
        requests.slice(start, start + CHARGE_CONCURRENCY).map(async (r, j) => {
          if (!r.charge) return;
          results[start + j] = !r.card
            ? { id: '', status: 'failed', failureCode: 'no_payment_method' }
            : refunded.has(r.key)
              ? CHARGE_REFUNDED
              : await this.gateway.charge({
                  token: r.card.providerToken,
                  amount: r.amount,
                  currency: r.currency,
                  idempotencyKey: r.key,
                });
        }),
      );
    }
    const settled = requests.flatMap((r, i) =>
      r.charge && r.card && results[i] ? [{ chargeKey: r.key, result: results[i] }] : [],
    );
    const notPending = await this.intents.complete(this.em, settled);
    // Refunded by the reconciler meanwhile: the money went back, so this attempt did not pay.
    return results.map((result, i) => (result && notPending.has(requests[i].key) ? CHARGE_REFUNDED : result));
  }

  private enqueueCollection(invoice: Invoice): void {
    this.jobs.enqueueAfterCommit(
      QUEUES.proration,
      COLLECT_INVOICE_JOB,
      { tenantId: invoice.tenantId, invoiceId: invoice.id, subscriptionId: invoice.subscription.id },
      workJob(`invoice-${invoice.id}-auto-1`),
    );
  }

  /**
   * The gateway's idempotency key of an attempt. A cycle invoice's key derives from its
   * subscription and period (not its id, which a rolled-back attempt would not keep), so a re-run
   * renewal can never charge a period twice.
   */
  private chargeKey(invoice: Invoice, attempt: number): string {
    const base =
      invoice.billingReason === 'subscription_cycle' || invoice.billingReason === 'subscription_create'
        ? `cycle:${invoice.subscription.id}:${invoice.periodStart.toISOString()}`
        : `invoice:${invoice.id}`;
    return `${base}:attempt-${attempt}`;
  }

  private async nextNumbers(tenantIds: string[]): Promise<string[]> {
    const counts = new Map<string, number>();
    for (const id of tenantIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    const rows = await this.em.execute<{ tenant_id: string; value: string }[]>(
      `insert into tenant_counters (tenant_id, name, value)
       select t.tenant_id, 'invoice', t.n from unnest(?::uuid[], ?::bigint[]) as t(tenant_id, n)
       on conflict (tenant_id, name) do update set value = tenant_counters.value + excluded.value
       returning tenant_id, value`,
      [pgArray([...counts.keys()]), pgArray([...counts.values()])],
    );
    const next = new Map(rows.map((r) => [r.tenant_id, BigInt(r.value) - BigInt(counts.get(r.tenant_id)!) + 1n]));
    return tenantIds.map((id) => {
      const value = next.get(id)!;
      next.set(id, value + 1n);
      return `INV-${String(value).padStart(6, '0')}`;
    });
  }

  private async balances(tenantIds: string[], currency: string): Promise<Map<string, bigint>> {
    const rows = await this.em.execute<{ tenant_id: string; balance: string }[]>(
      'select tenant_id, sum(amount) as balance from credit_ledger where tenant_id = any(?::uuid[]) and currency = ? group by tenant_id',
      [pgArray([...new Set(tenantIds)]), currency],
    );
    return new Map(rows.map((r) => [r.tenant_id, BigInt(r.balance)]));
  }

  /**
   * The card for each charge, in one query: the subscription's own card while it is on file,
   * otherwise the tenant's default (newest) card; null when the tenant has none.
   */
  private async cardsFor(choices: CardChoice[]): Promise<(CardRef | null)[]> {
    const rows = await this.em.execute<{ i: string; id: string | null; provider_token: string | null }[]>(
      `select c.i, coalesce(own.id, fallback.id) as id, coalesce(own.provider_token, fallback.provider_token) as provider_token
         from unnest(?::uuid[], ?::uuid[]) with ordinality as c(tenant_id, payment_method_id, i)
         left join payment_methods own
           on own.id = c.payment_method_id and own.tenant_id = c.tenant_id and own.deleted_at is null
         left join lateral (
           select id, provider_token from payment_methods
            where tenant_id = c.tenant_id and deleted_at is null order by created_at desc, id desc limit 1
         ) fallback on own.id is null`,
      [pgArray(choices.map((c) => c.tenantId)), pgArray(choices.map((c) => c.paymentMethodId))],
    );
    const byIndex = new Map(rows.map((r) => [Number(r.i) - 1, r]));
    return choices.map((_, i) => {
      const row = byIndex.get(i);
      return row?.id && row.provider_token ? { id: row.id, providerToken: row.provider_token } : null;
    });
  }

  private billed(invoice: Invoice): BilledInvoice {
    return { id: invoice.id, number: invoice.number, status: invoice.status, totalAmount: invoice.totalAmount };
  }
}
