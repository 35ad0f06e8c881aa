import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { AuditService } from '../audit/audit.service.js';
import { JobQueue } from '../../jobs/job-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import type { Line } from '../subscriptions/proration.js';
import { BilledInvoice, ChargeOutcome, SubscriptionBilling } from '../subscriptions/subscription-billing.port.js';
import type { Subscription } from '../subscriptions/subscription.entity.js';
import { BillingReason, CreditEntry, Invoice, InvoiceLine, Payment, PaymentMethod } from './billing.entities.js';
import { PaymentGateway } from './payment-gateway.js';
import { PaymentMethodsService } from './payment-methods.service.js';

export const COLLECT_INVOICE_JOB = 'collect-invoice';

export interface CollectionResult {
  paid: boolean;
  failureCode: string | null;
  payment: Payment | null;
}

/**
 * Invoices and collection. An invoice is numbered per tenant, uses the tenant's credit balance
 * first (a net-negative invoice adds to it instead), and is charged against a card through the
 * payment gateway with one idempotency key per attempt, so a retried job never charges twice.
 */
@Injectable()
export class InvoicingService extends SubscriptionBilling {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly gateway: PaymentGateway,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
    private readonly context: RequestContext,
  ) {
    super();
  }

  async resolvePaymentMethod(paymentMethodId?: string | null): Promise<string | null> {
    return (await this.paymentMethods.find(paymentMethodId))?.id ?? null;
  }

  async invoiceAndCharge(subscription: Subscription, lines: Line[], paymentMethodId: string | null): Promise<ChargeOutcome> {
    const invoice = await this.createInvoice(subscription, lines, 'subscription_create');
    if (invoice.status !== 'open') return { invoice: this.billed(invoice), paid: true, failureCode: null };
    const result = await this.collect(invoice, paymentMethodId);
    return { invoice: this.billed(invoice), paid: result.paid, failureCode: result.failureCode };
  }

  async invoiceAndCollectLater(subscription: Subscription, lines: Line[]): Promise<BilledInvoice> {
    const invoice = await this.createInvoice(subscription, lines, 'subscription_update');
    if (invoice.status === 'open') {
      this.jobs.enqueueAfterCommit(
        QUEUES.proration,
        COLLECT_INVOICE_JOB,
        { tenantId: invoice.tenantId, invoiceId: invoice.id, subscriptionId: subscription.id },
        { jobId: `invoice-${invoice.id}` },
      );
    }
    return this.billed(invoice);
  }

  async voidInvoice(invoiceId: string): Promise<void> {
    const invoice = await this.em.findOneOrFail(Invoice, invoiceId);
    invoice.status = 'void';
    invoice.updatedAt = this.clock.now();
    await this.em.flush();
  }

  async creditBalance(currency: string): Promise<bigint> {
    const [row] = await this.em.execute<{ balance: string | null }[]>(
      'select sum(amount) as balance from credit_ledger where tenant_id = ? and currency = ?',
      [this.context.tenantId, currency],
    );
    return BigInt(row?.balance ?? 0);
  }

  /**
   * Writes an invoice with its lines. Numbering takes the tenant's invoice counter row lock, which
   * also serialises credit use per tenant until the transaction ends.
   */
  async createInvoice(subscription: Subscription, lines: Line[], reason: BillingReason): Promise<Invoice> {
    const tenantId = subscription.tenantId;
    const now = this.clock.now();
    const number = await this.nextNumber(tenantId);
    const currency = subscription.planVersion.currency;
    const subtotal = lines.reduce((sum, line) => sum + line.amount, 0n);
    const balance = await this.creditBalance(currency);
    const creditApplied = subtotal > 0n && balance > 0n ? (balance < subtotal ? balance : subtotal) : 0n;
    const total = subtotal > 0n ? subtotal - creditApplied : 0n;
    const periodStart = lines.reduce((min, l) => (l.periodStart < min ? l.periodStart : min), lines[0]?.periodStart ?? now);
    const periodEnd = lines.reduce((max, l) => (l.periodEnd > max ? l.periodEnd : max), lines[0]?.periodEnd ?? now);

    const invoice = this.em.create(Invoice, {
      tenantId,
      number,
      subscription,
      billingReason: reason,
      status: total > 0n ? 'open' : 'paid',
      currency,
      subtotalAmount: subtotal,
      creditAppliedAmount: creditApplied,
      totalAmount: total,
      periodStart,
      periodEnd,
      attemptCount: 0,
      nextAttemptAt: null,
      paidAt: total > 0n ? null : now,
      createdAt: now,
      updatedAt: now,
    });
    const allLines = lines.map((l) => ({ ...l, calculation: l.calculation as Record<string, unknown> | null }));
    if (creditApplied > 0n) {
      allLines.push({ kind: 'credit_applied' as never, description: 'Credit balance applied', amount: -creditApplied, periodStart, periodEnd, calculation: null });
      this.em.create(CreditEntry, { tenantId, currency, amount: -creditApplied, reason: 'applied_to_invoice', invoice, createdAt: now });
    }
    if (subtotal < 0n) {
      allLines.push({ kind: 'credit_to_balance' as never, description: 'Unused amount added to your credit balance', amount: -subtotal, periodStart, periodEnd, calculation: null });
      this.em.create(CreditEntry, { tenantId, currency, amount: -subtotal, reason: 'proration_credit', invoice, createdAt: now });
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
    await this.em.flush();
    this.audit.record({
      action: 'invoice.created',
      targetType: 'invoice',
      targetId: invoice.id,
      tenantId,
      after: { number, status: invoice.status, totalAmount: Number(total), creditApplied: Number(creditApplied), reason },
    });
    return invoice;
  }

  /**
   * One charge attempt on an open invoice with a card (default card when none given). Records the
   * payment either way; marks the invoice paid on success.
   */
  async collect(invoice: Invoice, paymentMethodId?: string | null): Promise<CollectionResult> {
    const now = this.clock.now();
    const card: PaymentMethod | null = await this.paymentMethods.find(paymentMethodId).catch(() => null);
    invoice.attemptCount += 1;
    invoice.updatedAt = now;
    const attempt = invoice.attemptCount;
    const result = card
      ? await this.gateway.charge({ token: card.providerToken, amount: invoice.totalAmount, currency: invoice.currency, idempotencyKey: `${invoice.id}:${attempt}` })
      : { id: null, status: 'failed' as const, failureCode: 'no_payment_method' };
    const payment = this.em.create(Payment, {
      tenantId: invoice.tenantId,
      invoice,
      paymentMethodId: card?.id ?? null,
      amount: invoice.totalAmount,
      currency: invoice.currency,
      status: result.status,
      failureCode: result.failureCode,
      providerChargeId: result.id,
      attempt,
      createdAt: now,
    });
    if (result.status === 'succeeded') {
      invoice.status = 'paid';
      invoice.paidAt = now;
      invoice.nextAttemptAt = null;
    }
    await this.em.flush();
    this.audit.record({
      action: result.status === 'succeeded' ? 'invoice.paid' : 'invoice.payment_failed',
      targetType: 'invoice',
      targetId: invoice.id,
      tenantId: invoice.tenantId,
      after: { number: invoice.number, attempt, amount: Number(invoice.totalAmount), failureCode: result.failureCode },
    });
    return { paid: result.status === 'succeeded', failureCode: result.failureCode, payment };
  }

  private async nextNumber(tenantId: string): Promise<string> {
    const [row] = await this.em.execute<{ value: string }[]>(
      `insert into tenant_counters (tenant_id, name, value) values (?, 'invoice', 1)
       on conflict (tenant_id, name) do update set value = tenant_counters.value + 1
       returning value`,
      [tenantId],
    );
    return `INV-${String(row.value).padStart(6, '0')}`;
  }

  private billed(invoice: Invoice): BilledInvoice {
    return { id: invoice.id, number: invoice.number, status: invoice.status, totalAmount: invoice.totalAmount };
  }
}
