import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TenantCaller, TenantId } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { TenantSession } from '../../database/tenant-session.js';
import { newId } from '../../database/ids.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { AuditEntry, AuditService } from '../audit/audit.service.js';
import {
  ChargeOutcome,
  RenewalBilling,
  RenewalCharge,
  SubscriptionBill,
  SubscriptionBilling,
} from '../subscriptions/subscription-billing.port.js';
import { SubscriptionPayments } from '../subscriptions/subscription-payments.js';
import { isLive } from '../subscriptions/subscription-state.rules.js';
import type { InvoiceDto } from '../subscriptions/dto/invoice.dto.js';
import { automaticAttemptDue } from './dunning.rules.js';
import { invoiceDto, InvoiceView } from './dto/billing.dto.js';
import { ChargeIntentRepository } from './charge-intent.repository.js';
import { COLLECT_INVOICE_JOB } from './billing.jobs.js';
import { ChargeIntents, IntentWriter } from './charge-intents.service.js';
import { CreditRepository } from './credit.repository.js';
import {
  afterAttempt,
  BillingReason,
  chargeKey,
  createdAudit,
  draftInvoices,
  InvoiceDraft,
  InvoiceRequest,
} from './invoice-drafting.rules.js';
import { InvoicePricing } from './invoice-pricing.rules.js';
import { InvoiceRepository, PaymentRecord } from './invoice.repository.js';
import type { Invoice } from './invoice.entity.js';
import { ChargeResult, PaymentGateway } from './payment-gateway.js';
import { CardChoice, CardRef, PaymentMethodRepository } from './payment-method.repository.js';
import { PaymentMethodsService } from './payment-methods.service.js';

export interface CollectionResult {
  paid: boolean;
  failureCode: string | null;
}

/** How new invoices are collected: charged now (first period, renewal), or by a job after commit (a change now). */
/** One charge attempt on an invoice, new or stored. */
interface Attempt {
  tenantId: string;
  invoiceId: string;
  number: string;
  amount: bigint;
  currency: string;
  card: CardRef | null;
  key: string;
  result: ChargeResult;
  attempt: number;
  automatic: boolean;
  now: Date;
}

type Collection = { when: 'now'; writer: IntentWriter; cards: CardChoice[]; keys?: (string | null)[] } | { when: 'later' };

const CHARGE_CONCURRENCY = 64;

/** An attempt whose charge the reconciler had already refunded: it paid nothing. */
const CHARGE_REFUNDED: ChargeResult = { id: '', status: 'failed', failureCode: 'charge_refunded' };

/** The seller of every invoice today (invoice-drafting.rules.ts: the platform). */
const SELLER = 'platform' as const;

/**
 * Invoicing and collection: one set-based path for one invoice or a renewal batch. Numbers and
 * balances are read in one statement each, the invoices drafted by invoice-drafting.rules.ts, the
 * ones collected now charged in parallel (keys derive from subscription and period, so a re-run
 * never charges twice), then every table written with one multi-row insert, invoices already in
 * their final state. A failed automatic charge starts dunning on the invoice (dunning.rules.ts).
 */
@Injectable()
export class InvoicingService extends SubscriptionBilling implements RenewalBilling {
  constructor(
    private readonly clock: Clock,
    private readonly gateway: PaymentGateway,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly cards: PaymentMethodRepository,
    private readonly invoices: InvoiceRepository,
    private readonly credits: CreditRepository,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
    private readonly context: RequestContext,
    private readonly session: TenantSession,
    private readonly payments: SubscriptionPayments,
    private readonly intents: ChargeIntents,
    private readonly chargeIntents: ChargeIntentRepository,
  ) {
    super();
  }

  async resolvePaymentMethod(tenantId: TenantId, paymentMethodId?: string | null): Promise<string | null> {
    return (await this.paymentMethods.find(tenantId, paymentMethodId))?.id ?? null;
  }

  async invoiceAndCharge(
    caller: TenantCaller,
    bill: SubscriptionBill & { planVersionId: string },
    paymentMethodId: string | null,
  ): Promise<ChargeOutcome> {
    const key = await this.firstChargeKey(caller.tenantId, bill.planVersionId);
    const [outcome] = await this.issue([this.request(caller.tenantId, bill, 'subscription_create')], {
      when: 'now',
      writer: 'tenant',
      cards: [{ tenantId: caller.tenantId, paymentMethodId }],
      keys: [key],
    });
    return outcome;
  }

  /**
   * A subscribe retried with its `Idempotency-Key` after its transaction was lost (the charge made,
   * the commit not) must reach the same gateway charge, not a second one: the first charge's key
   * derives from the request's key while no settled intent holds it (one that settled belongs to
   * an earlier subscribe whose idempotency record has expired). Without a key: null (the default).
   */
  private async firstChargeKey(tenantId: TenantId, planVersionId: string): Promise<string | null> {
    const requestKey = this.context.idempotencyKeyOrNull;
    if (!requestKey) return null;
    const digest = createHash('sha256').update(requestKey).digest('base64url');
    const key = `subscribe:${tenantId}:${planVersionId}:${digest}:attempt-1`;
    const held = await this.chargeIntents.status(key);
    return !held || held === 'pending' || held === 'abandoned' ? key : null;
  }

  async invoiceAndCollectLater(caller: TenantCaller, bill: SubscriptionBill): Promise<InvoiceDto> {
    const [draft] = await this.draftAndWrite([this.request(caller.tenantId, bill, 'subscription_update')], { when: 'later' });
    if (draft.status === 'open') this.enqueueCollection(draft);
    return invoiceDto(this.view(draft), draft.lines);
  }

  /** Renewal invoices: the same path as a first period's, a batch at a time, on the platform role. */
  invoiceRenewals(items: RenewalCharge[]): Promise<ChargeOutcome[]> {
    return this.issue(
      items.map((item) => this.request(item.tenantId, item, 'subscription_cycle')),
      {
        when: 'now',
        writer: 'platform',
        cards: items.map((i) => ({ tenantId: i.tenantId, paymentMethodId: i.paymentMethodId })),
      },
    );
  }

  private request(tenantId: string, bill: SubscriptionBill, reason: BillingReason): InvoiceRequest {
    return {
      buyer: { tenantId },
      seller: SELLER,
      subscriptionId: bill.subscriptionId,
      currency: bill.currency,
      reason,
      period: bill.period,
      lines: bill.lines,
    };
  }

  private async issue(requests: InvoiceRequest[], collection: Collection): Promise<ChargeOutcome[]> {
    const drafts = await this.draftAndWrite(requests, collection);
    return drafts.map((d) => ({
      invoice: { id: d.id, number: d.number, status: d.status, totalAmount: d.pricing.total },
      paid: d.status === 'paid',
      failureCode: d.failureCode,
    }));
  }

  /**
   * The one invoicing path: numbers and balances in one statement each, drafts (pure), the charges
   * of those collected now, then one multi-row insert per table and one for the audit entries.
   */
  private async draftAndWrite(
    requests: InvoiceRequest[],
    collection: Collection,
  ): Promise<(InvoiceDraft & { failureCode: string | null })[]> {
    if (!requests.length) return [];
    const now = this.clock.now();
    const numbers = await this.invoices.nextNumbers(requests.map((r) => r.buyer));
    const balances = await this.credits.balances(requests.map((r) => ({ buyer: r.buyer, currency: r.currency })));
    const drafts = draftInvoices(requests, numbers, balances, now, newId).map((d) => ({
      ...d,
      failureCode: null as string | null,
    }));
    const audits: AuditEntry[] = drafts.map((d) => ({
      action: 'invoice.created',
      targetType: 'invoice',
      targetId: d.id,
      tenantId: d.request.buyer.tenantId,
      after: createdAudit(d),
    }));
    const payments: PaymentRecord[] = [];
    if (collection.when === 'now') {
      const open = drafts.flatMap((d, i) => (d.status === 'open' ? [i] : []));
      const cards = await this.cards.cardsFor(open.map((i) => collection.cards[i]));
      const keys = open.map((i) => collection.keys?.[i] ?? this.firstKey(drafts[i]));
      const results = await this.chargeAll(
        collection.writer,
        open.map((i, j) => ({
          tenantId: drafts[i].request.buyer.tenantId,
          invoiceId: drafts[i].id,
          card: cards[j],
          amount: drafts[i].pricing.total,
          currency: drafts[i].request.currency,
          key: keys[j],
        })),
      );
      open.forEach((i, j) => {
        const draft = drafts[i];
        const { exhausted: _, ...state } = afterAttempt(draft, results[j].status === 'succeeded', true, now);
        Object.assign(draft, state, { failureCode: results[j].failureCode });
        const records = this.attemptRecords({
          tenantId: draft.request.buyer.tenantId,
          invoiceId: draft.id,
          number: draft.number,
          amount: draft.pricing.total,
          currency: draft.request.currency,
          card: cards[j],
          key: keys[j],
          result: results[j],
          attempt: draft.attemptCount,
          automatic: true,
          now,
        });
        payments.push(records.payment);
        audits.push(records.audit);
      });
    }
    await this.invoices.insert(drafts, payments);
    await this.audit.recordMany(audits);
    return drafts;
  }

  /** The charge key of a new invoice's first attempt (invoice-drafting.rules.ts). */
  private firstKey(draft: InvoiceDraft): string {
    const { request } = draft;
    return chargeKey(
      { id: draft.id, reason: request.reason, subscriptionId: request.subscriptionId, periodStart: request.period.start },
      1,
    );
  }

  /** A drafted invoice as the API shows it. */
  private view(draft: InvoiceDraft): InvoiceView {
    const { request, pricing } = draft;
    return {
      ...draft,
      billingReason: request.reason,
      subscription: { id: request.subscriptionId },
      currency: request.currency,
      subtotalAmount: pricing.subtotal,
      creditAppliedAmount: pricing.creditApplied,
      creditAddedAmount: pricing.creditAdded,
      totalAmount: pricing.total,
      periodStart: request.period.start,
      periodEnd: request.period.end,
    };
  }

  /** What one charge attempt writes: its payment row and its audit entry. */
  private attemptRecords(a: Attempt): { payment: PaymentRecord; audit: AuditEntry } {
    return {
      payment: {
        tenantId: a.tenantId,
        invoiceId: a.invoiceId,
        paymentMethodId: a.card?.id ?? null,
        amount: a.amount,
        currency: a.currency,
        status: a.result.status,
        failureCode: a.result.failureCode,
        providerChargeId: a.result.id || null,
        chargeKey: a.card ? a.key : null,
        attempt: a.attempt,
        createdAt: a.now,
      },
      audit: {
        action: a.result.status === 'succeeded' ? 'invoice.paid' : 'invoice.payment_failed',
        targetType: 'invoice',
        targetId: a.invoiceId,
        tenantId: a.tenantId,
        after: {
          number: a.number,
          attempt: a.attempt,
          automatic: a.automatic,
          amount: Number(a.amount),
          failureCode: a.result.failureCode,
        },
      },
    };
  }

  /** Voids an open invoice (a failed first charge); false when it was not open. */
  async voidInvoice(tenantId: TenantId, invoiceId: string): Promise<boolean> {
    return (await this.voidOpen(tenantId, 'id', [invoiceId])) === 1;
  }

  /** Voids every open invoice of the subscriptions (they ended); how many. */
  voidOpenInvoices(tenantId: TenantId, subscriptionIds: string[]): Promise<number> {
    return this.voidOpen(tenantId, 'subscription_id', subscriptionIds);
  }

  voidOpenInvoicesOfEnded(subscriptionIds: string[]): Promise<number> {
    return this.voidOpen(null, 'subscription_id', subscriptionIds);
  }

  /**
   * Voids open invoices, set-based (one update, one ledger insert, one audit insert): nothing more
   * is collected on them, and the credit each used goes back to the balance in the same transaction.
   */
  private async voidOpen(tenantId: TenantId | null, column: 'id' | 'subscription_id', ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    const voided = await this.invoices.voidOpen(tenantId, column, ids, this.clock.now());
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

  async hasOpenInvoice(tenantId: TenantId, subscriptionId: string): Promise<boolean> {
    return (await this.invoices.countOpen(tenantId, subscriptionId)) > 0;
  }

  /** A preview's pricing: the bill drafted exactly as `invoiceAndCollectLater` drafts it, never numbered nor written. */
  async previewInvoice(tenantId: TenantId, bill: SubscriptionBill): Promise<InvoicePricing> {
    const request = this.request(tenantId, bill, 'subscription_update');
    const balances = await this.credits.balances([{ buyer: request.buyer, currency: request.currency }]);
    const [draft] = draftInvoices([request], [''], balances, this.clock.now(), () => '');
    return draft.pricing;
  }

  async addCredit(tenantId: TenantId, currency: string, amount: bigint, reason: 'cancellation_credit'): Promise<void> {
    if (amount <= 0n) return;
    await this.credits.add(tenantId, currency, amount, reason, this.clock.now());
  }

  async reconcileCharges(): Promise<number> {
    const { refunded, failed, abandoned } = await this.intents.reconcile();
    return refunded + failed + abandoned;
  }

  /** Enqueues the automatic attempts that are due across tenants: first collections of proration invoices, and retries. */
  async enqueueDueCollections(now: Date): Promise<number> {
    const due = await this.session.runPlatform(null, (em) => this.invoices.dueForCollection(em, now));
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
  async collectOpen(caller: TenantCaller, invoiceId: string, automatic: boolean): Promise<CollectionResult & { status: string }> {
    const subscriptionId = await this.invoices.subscriptionOf(caller.tenantId, invoiceId);
    if (!subscriptionId) return { paid: false, failureCode: null, status: 'missing' };
    const subscription = await this.payments.lockForCharge(caller.tenantId, subscriptionId);
    const invoice = await this.invoices.lock(caller.tenantId, invoiceId);
    const now = this.clock.now();
    if (invoice.status !== 'open') return { paid: false, failureCode: null, status: invoice.status };
    if (automatic && !automaticAttemptDue(invoice, now)) return { paid: false, failureCode: null, status: 'not_due' };
    if (!isLive(subscription.status)) return { paid: false, failureCode: null, status: `subscription_${subscription.status}` };

    const [card] = await this.cards.cardsFor([{ tenantId: invoice.tenantId, paymentMethodId: subscription.paymentMethodId }]);
    const key = chargeKey(this.keyed(invoice), invoice.attemptCount + 1);
    const [result] = await this.chargeAll('tenant', [
      { tenantId: invoice.tenantId, invoiceId: invoice.id, card, amount: invoice.totalAmount, currency: invoice.currency, key },
    ]);
    const { exhausted, ...state } = afterAttempt(invoice, result.status === 'succeeded', automatic, now);
    const records = this.attemptRecords({
      tenantId: invoice.tenantId,
      invoiceId: invoice.id,
      number: invoice.number,
      amount: invoice.totalAmount,
      currency: invoice.currency,
      card,
      key,
      result,
      attempt: state.attemptCount,
      automatic,
      now,
    });
    this.audit.record(records.audit);
    await this.invoices.recordAttempt(invoice, state, records.payment);
    const paid = result.status === 'succeeded';
    if (paid) {
      await this.payments.recovered(subscription, await this.invoices.countOpen(caller.tenantId, subscription.id));
    } else if (exhausted) {
      this.audit.record({
        action: 'invoice.uncollectible',
        targetType: 'invoice',
        targetId: invoice.id,
        tenantId: invoice.tenantId,
        after: { number: invoice.number },
      });
      await this.invoices.markUncollectible(invoice);
      await this.payments.exhausted(subscription);
    } else {
      await this.payments.failed(subscription, result.failureCode);
    }
    return { paid, failureCode: result.failureCode, status: invoice.status };
  }

  private keyed(invoice: Invoice) {
    return {
      id: invoice.id,
      reason: invoice.billingReason,
      subscriptionId: invoice.subscription.id,
      periodStart: invoice.periodStart,
    };
  }

  /**
   * Charges through the gateway, CHARGE_CONCURRENCY at a time; a request without a card fails as
   * `no_payment_method`. Each charge's intent is committed first (ChargeIntents) and settled here
   * in the caller's transaction, beside the payment the caller writes with the same key.
   */
  private async chargeAll(
    writer: IntentWriter,
    requests: { tenantId: string; invoiceId: string; card: CardRef | null; amount: bigint; currency: string; key: string }[],
  ): Promise<ChargeResult[]> {
    const results: ChargeResult[] = new Array(requests.length);
    const toGateway = requests.filter((r) => r.card);
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
    const settled = requests.flatMap((r, i) => (r.card ? [{ chargeKey: r.key, result: results[i] }] : []));
    const notPending = await this.intents.complete(settled);
    // Refunded by the reconciler meanwhile: the money went back, so this attempt did not pay.
    return results.map((result, i) => (notPending.has(requests[i].key) ? CHARGE_REFUNDED : result));
  }

  private enqueueCollection(draft: InvoiceDraft): void {
    this.jobs.enqueueAfterCommit(
      QUEUES.proration,
      COLLECT_INVOICE_JOB,
      { tenantId: draft.request.buyer.tenantId, invoiceId: draft.id, subscriptionId: draft.request.subscriptionId },
      workJob(`invoice-${draft.id}-auto-1`),
    );
  }
}
