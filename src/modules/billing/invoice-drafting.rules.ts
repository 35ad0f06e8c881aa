/**
 * How billed lines become an invoice (pure, no I/O): numbering is given, the buyer's credit balance
 * pays first (invoice-pricing.rules.ts), credit movements become lines and ledger entries, and a
 * charge attempt moves the invoice (paid, or on along the dunning schedule). Single invoices
 * (subscribe, a change now) and set-based renewals draft through here alike; the invoice
 * repository writes the drafts in bulk.
 */
import type { BILLING_REASONS, INVOICE_STATUSES, LineKind } from '../subscriptions/dto/invoice.dto.js';
import type { Line } from '../subscriptions/proration.rules.js';
import type { CreditReason } from './credit.rules.js';
import { afterFailedAttempt } from './dunning.rules.js';
import { InvoicePricing, priceInvoice } from './invoice-pricing.rules.js';

export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export type BillingReason = (typeof BILLING_REASONS)[number];

/**
 * Who pays: today always a tenant, whose credit balance and cards pay its invoices. A tenant's own
 * customer is the buyer to come; the core takes the buyer as a parameter so that it needs no fork.
 */
export interface Buyer {
  tenantId: string;
}

/** Who is paid: today always the platform (a tenant selling to its customers is the seller to come). */
export type Seller = 'platform';

/** What one invoice bills: whose, for which subscription and period, which lines. */
export interface InvoiceRequest {
  buyer: Buyer;
  seller: Seller;
  subscriptionId: string;
  currency: string;
  reason: BillingReason;
  /** The service period the invoice bills (its header), stated by the caller rather than guessed from the lines. */
  period: { start: Date; end: Date };
  lines: Line[];
}

/** An invoice line as stored: the billed lines, then the credit movements. */
export interface DraftLine {
  position: number;
  kind: LineKind;
  description: string;
  amount: bigint;
  periodStart: Date;
  periodEnd: Date;
  calculation: Line['calculation'] | null;
}

/** A credit ledger movement the invoice makes (negative: credit it used). */
export interface DraftCredit {
  amount: bigint;
  reason: CreditReason;
}

/** Where an invoice stands with its charges (the columns a charge attempt moves). */
export interface CollectionState {
  status: InvoiceStatus;
  attemptCount: number;
  autoAttemptCount: number;
  dunningStartedAt: Date | null;
  nextAttemptAt: Date | null;
  paidAt: Date | null;
}

export interface InvoiceDraft extends CollectionState {
  id: string;
  number: string;
  request: InvoiceRequest;
  pricing: InvoicePricing;
  lines: DraftLine[];
  credits: DraftCredit[];
  createdAt: Date;
}

/** The key of a buyer's credit balance in one currency. */
export const balanceKey = (buyer: Buyer, currency: string): string => `${buyer.tenantId}:${currency}`;

/**
 * Drafts the invoices in order. Each uses its buyer's balance as the invoices before it in the
 * same call left it, so one buyer's credit is never spent twice. Nothing is charged here: an
 * invoice with something to charge is open, any other is paid.
 */
export function draftInvoices(
  requests: readonly InvoiceRequest[],
  numbers: readonly string[],
  balances: ReadonlyMap<string, bigint>,
  now: Date,
  newId: () => string,
): InvoiceDraft[] {
  const left = new Map(balances);
  return requests.map((request, i) => {
    const key = balanceKey(request.buyer, request.currency);
    const pricing = priceInvoice(
      request.lines.map((l) => l.amount),
      left.get(key) ?? 0n,
    );
    left.set(key, (left.get(key) ?? 0n) - pricing.creditApplied + pricing.creditAdded);
    const { start, end } = request.period;
    const lines: Omit<DraftLine, 'position'>[] = request.lines.map((l) => ({ ...l, calculation: { ...l.calculation } }));
    const credits: DraftCredit[] = [];
    if (pricing.creditApplied > 0n) {
      lines.push(creditLine('credit_applied', 'Credit balance applied', -pricing.creditApplied, start, end));
      credits.push({ amount: -pricing.creditApplied, reason: 'applied_to_invoice' });
    }
    if (pricing.creditAdded > 0n) {
      lines.push(creditLine('credit_to_balance', 'Unused amount added to your credit balance', pricing.creditAdded, start, end));
      credits.push({ amount: pricing.creditAdded, reason: 'proration_credit' });
    }
    const paid = pricing.total === 0n;
    return {
      id: newId(),
      number: numbers[i],
      request,
      pricing,
      lines: lines.map((l, position) => ({ ...l, position })),
      credits,
      status: paid ? 'paid' : 'open',
      attemptCount: 0,
      autoAttemptCount: 0,
      dunningStartedAt: null,
      nextAttemptAt: null,
      paidAt: paid ? now : null,
      createdAt: now,
    };
  });
}

function creditLine(kind: LineKind, description: string, amount: bigint, start: Date, end: Date): Omit<DraftLine, 'position'> {
  return { kind, description, amount, periodStart: start, periodEnd: end, calculation: null };
}

/** The audit entry's `after` of a drafted invoice (`invoice.created`). */
export function createdAudit(draft: InvoiceDraft): Record<string, unknown> {
  return {
    number: draft.number,
    status: draft.status,
    totalAmount: Number(draft.pricing.total),
    creditApplied: Number(draft.pricing.creditApplied),
    reason: draft.request.reason,
  };
}

/**
 * The invoice after one charge attempt: paid, or (an automatic attempt) on along the dunning
 * schedule; `exhausted` when that was the schedule's last attempt. A "pay now" never moves it.
 */
export function afterAttempt(
  state: CollectionState,
  succeeded: boolean,
  automatic: boolean,
  now: Date,
): CollectionState & { exhausted: boolean } {
  const attemptCount = state.attemptCount + 1;
  if (succeeded) {
    return {
      ...state,
      status: 'paid',
      attemptCount,
      autoAttemptCount: state.autoAttemptCount + (automatic ? 1 : 0),
      nextAttemptAt: null,
      paidAt: now,
      exhausted: false,
    };
  }
  const { exhausted, ...schedule } = afterFailedAttempt(state, automatic, now);
  return { ...state, ...schedule, attemptCount, exhausted };
}

/**
 * The gateway's idempotency key of an attempt. A period's invoice (first or renewal) keys on its
 * subscription and period, not its id, which a rolled-back attempt would not keep: a re-run
 * renewal can never charge a period twice.
 */
export function chargeKey(
  invoice: { id: string; reason: BillingReason; subscriptionId: string; periodStart: Date },
  attempt: number,
): string {
  const base =
    invoice.reason === 'subscription_cycle' || invoice.reason === 'subscription_create'
      ? `cycle:${invoice.subscriptionId}:${invoice.periodStart.toISOString()}`
      : `invoice:${invoice.id}`;
  return `${base}:attempt-${attempt}`;
}
