import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { newId } from '../../database/ids.js';
import { pgArray } from '../../database/sql.js';
import { LIVE_STATUSES } from '../subscriptions/subscription-state.rules.js';
import { CreditEntry } from './credit-entry.entity.js';
import type { Buyer, CollectionState, InvoiceDraft } from './invoice-drafting.rules.js';
import { InvoiceLine } from './invoice-line.entity.js';
import { Invoice } from './invoice.entity.js';
import { Payment } from './payment.entity.js';

/** One charge attempt as written: the payment row of an invoice. */
export interface PaymentRecord {
  tenantId: string;
  invoiceId: string;
  paymentMethodId: string | null;
  amount: bigint;
  currency: string;
  status: 'succeeded' | 'failed';
  failureCode: string | null;
  providerChargeId: string | null;
  chargeKey: string | null;
  attempt: number;
  createdAt: Date;
}

export interface VoidedInvoice {
  id: string;
  tenant_id: string;
  number: string;
  currency: string;
  credit_applied_amount: string;
}

/** Statuses a subscription can still be charged in (subscription-state.rules.ts's LIVE_STATUSES). */
const LIVE_SQL = LIVE_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Invoices, their lines, payments and the ledger entries they make. Drafts are written set-based:
 * one multi-row insert per table however many invoices, so a renewal batch costs the same number
 * of statements as a single invoice.
 */
@Injectable()
export class InvoiceRepository {
  constructor(private readonly em: EntityManager) {}

  /** The next invoice number of each buyer, in input order; takes each buyer's counter row lock, which also serialises its credit use. */
  async nextNumbers(buyers: Buyer[]): Promise<string[]> {
    const counts = new Map<string, number>();
    for (const { tenantId } of buyers) counts.set(tenantId, (counts.get(tenantId) ?? 0) + 1);
    const rows = await this.em.execute<{ tenant_id: string; value: string }[]>(
      `insert into tenant_counters (tenant_id, name, value)
       select t.tenant_id, 'invoice', t.n from unnest(?::uuid[], ?::bigint[]) as t(tenant_id, n)
       on conflict (tenant_id, name) do update set value = tenant_counters.value + excluded.value
       returning tenant_id, value`,
      [pgArray([...counts.keys()]), pgArray([...counts.values()])],
    );
    const next = new Map(rows.map((r) => [r.tenant_id, BigInt(r.value) - BigInt(counts.get(r.tenant_id)!) + 1n]));
    return buyers.map(({ tenantId }) => {
      const value = next.get(tenantId)!;
      next.set(tenantId, value + 1n);
      return `INV-${String(value).padStart(6, '0')}`;
    });
  }

  /** Writes drafted invoices in their final state, with their lines, ledger entries and payments. */
  async insert(drafts: InvoiceDraft[], payments: PaymentRecord[]): Promise<void> {
    if (!drafts.length) return;
    await this.em.insertMany(
      Invoice,
      drafts.map((d) => ({
        id: d.id,
        tenantId: d.request.buyer.tenantId,
        number: d.number,
        subscription: d.request.subscriptionId,
        billingReason: d.request.reason,
        status: d.status,
        currency: d.request.currency,
        subtotalAmount: d.pricing.subtotal,
        creditAppliedAmount: d.pricing.creditApplied,
        creditAddedAmount: d.pricing.creditAdded,
        totalAmount: d.pricing.total,
        periodStart: d.request.period.start,
        periodEnd: d.request.period.end,
        attemptCount: d.attemptCount,
        autoAttemptCount: d.autoAttemptCount,
        dunningStartedAt: d.dunningStartedAt,
        nextAttemptAt: d.nextAttemptAt,
        paidAt: d.paidAt,
        createdAt: d.createdAt,
        updatedAt: d.createdAt,
      })),
    );
    await this.em.insertMany(
      InvoiceLine,
      drafts.flatMap((d) => d.lines.map((l) => ({ id: newId(), tenantId: d.request.buyer.tenantId, invoice: d.id, ...l }))),
    );
    const credits = drafts.flatMap((d) =>
      d.credits.map((c) => ({
        id: newId(),
        tenantId: d.request.buyer.tenantId,
        currency: d.request.currency,
        amount: c.amount,
        reason: c.reason,
        invoice: d.id,
        createdAt: d.createdAt,
      })),
    );
    if (credits.length) await this.em.insertMany(CreditEntry, credits);
    if (payments.length) await this.insertPayments(payments);
  }

  private insertPayments(payments: PaymentRecord[]): Promise<unknown> {
    return this.em.insertMany(
      Payment,
      payments.map(({ invoiceId, ...p }) => ({ id: newId(), invoice: invoiceId, ...p })),
    );
  }

  /** Writes an attempt on a stored invoice: its new collection state and the payment. */
  async recordAttempt(invoice: Invoice, state: CollectionState, payment: PaymentRecord): Promise<void> {
    Object.assign(invoice, state, { updatedAt: payment.createdAt });
    const { invoiceId: _, ...row } = payment;
    this.em.create(Payment, { ...row, invoice });
    await this.em.flush();
  }

  async markUncollectible(invoice: Invoice): Promise<void> {
    invoice.status = 'uncollectible';
    await this.em.flush();
  }

  /**
   * Voids the open invoices among `ids` (invoice or subscription ids) in one update, and gives
   * back the credit each used in one ledger insert: nothing more is collected on them.
   */
  /** `tenantId` null: the platform path's renewal batch, across the tenants of `ids`. */
  async voidOpen(
    tenantId: TenantId | null,
    column: 'id' | 'subscription_id',
    ids: string[],
    now: Date,
  ): Promise<VoidedInvoice[]> {
    const voided = await this.em.execute<VoidedInvoice[]>(
      `update invoices set status = 'void', next_attempt_at = null, updated_at = ?
        where ${column} = any(?::uuid[]) and status = 'open' and (?::uuid is null or tenant_id = ?)
        returning id, tenant_id, number, currency, credit_applied_amount`,
      [now, pgArray(ids), tenantId, tenantId],
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
    return voided;
  }

  async countOpen(tenantId: TenantId, subscriptionId: string): Promise<number> {
    return this.em.count(Invoice, { tenantId, subscription: subscriptionId, status: 'open' });
  }

  /** The subscription an invoice bills; null when the tenant has no such invoice. */
  async subscriptionOf(tenantId: TenantId, invoiceId: string): Promise<string | null> {
    const [head] = await this.em.execute<{ subscription_id: string }[]>(
      'select subscription_id from invoices where id = ? and tenant_id = ?',
      [invoiceId, tenantId],
    );
    return head?.subscription_id ?? null;
  }

  /** An invoice under its row lock, freshly read (its subscription is locked first: SubscriptionPayments.lockForCharge). */
  lock(tenantId: TenantId, invoiceId: string): Promise<Invoice> {
    return this.em.findOneOrFail(Invoice, { tenantId, id: invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  findOne(tenantId: TenantId, id: string): Promise<Invoice | null> {
    return this.em.findOne(Invoice, { tenantId, id });
  }

  async page(tenantId: TenantId, query: PageQuery): Promise<Page<Invoice>> {
    const rows = await this.em.find(
      Invoice,
      { tenantId, ...afterCursor(query.cursor, 'desc') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Invoice, rows, query.limit, (i) => i);
  }

  async linesOf(tenantId: TenantId, invoices: Invoice[]): Promise<Map<string, InvoiceLine[]>> {
    if (!invoices.length) return new Map();
    const lines = await this.em.find(
      InvoiceLine,
      { tenantId, invoice: invoices.map((i) => i.id) },
      { orderBy: { position: 'asc' } },
    );
    const byInvoice = new Map<string, InvoiceLine[]>();
    for (const line of lines) byInvoice.set(line.invoice.id, [...(byInvoice.get(line.invoice.id) ?? []), line]);
    return byInvoice;
  }

  async payments<T>(tenantId: TenantId, query: PageQuery, map: (p: Payment) => T): Promise<Page<T>> {
    const rows = await this.em.find(
      Payment,
      { tenantId, ...afterCursor(query.cursor, 'desc') },
      { populate: ['invoice'], orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Payment, rows, query.limit, map);
  }

  /**
   * Open invoices of live subscriptions whose automatic attempt is due — a retry, or the first
   * collection of a proration invoice whose job was lost — across tenants (the platform path's `em`).
   */
  dueForCollection(
    em: EntityManager,
    now: Date,
  ): Promise<{ id: string; tenant_id: string; subscription_id: string; auto_attempt_count: number }[]> {
    return em.execute(
      `select i.id, i.tenant_id, i.subscription_id, i.auto_attempt_count from invoices i
         join subscriptions s on s.id = i.subscription_id and s.status in (${LIVE_SQL})
        where i.status = 'open'
          and (i.next_attempt_at <= ? or (i.auto_attempt_count = 0 and i.billing_reason = 'subscription_update'))`,
      [now],
    );
  }
}
