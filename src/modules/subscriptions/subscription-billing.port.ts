import type { Subscription } from './subscription.entity.js';
import type { Line } from './proration.js';

export interface BilledInvoice {
  id: string;
  number: string;
  status: 'open' | 'paid' | 'void' | 'uncollectible';
  totalAmount: bigint;
}

export interface ChargeOutcome {
  invoice: BilledInvoice;
  paid: boolean;
  failureCode: string | null;
}

/**
 * What the subscription lifecycle needs from billing. Billing builds on subscriptions (DESIGN.md:
 * dependencies point one way), so subscriptions declares this port and the billing module
 * provides it.
 */
export abstract class SubscriptionBilling {
  /** Throws unless the tenant has this card (or, without an id, any card); returns the card id. */
  abstract resolvePaymentMethod(paymentMethodId?: string | null): Promise<string | null>;

  /** Invoices the lines now and charges the card synchronously (first period of a subscription). */
  abstract invoiceAndCharge(subscription: Subscription, lines: Line[], paymentMethodId: string | null): Promise<ChargeOutcome>;

  /** Invoices the lines now and collects in the background (proration); a net credit goes to the tenant's balance. */
  abstract invoiceAndCollectLater(subscription: Subscription, lines: Line[]): Promise<BilledInvoice>;

  /** Voids an open invoice (nothing more will be collected on it). */
  abstract voidInvoice(invoiceId: string): Promise<void>;

  /** Whether an invoice of the subscription is still open (unpaid). */
  abstract hasOpenInvoice(subscriptionId: string): Promise<boolean>;

  /** The tenant's credit balance in a currency (minor units). */
  abstract creditBalance(currency: string): Promise<bigint>;
}

/** One subscription's next period to invoice and charge at renewal (plain data: renewals are set-based). */
export interface RenewalCharge {
  subscriptionId: string;
  tenantId: string;
  planName: string;
  price: bigint;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * Batch side of the port, used by the renewal worker on the platform path (across tenants).
 * Declared separately so the request-time port stays small.
 */
export abstract class RenewalBilling {
  /** Invoices each subscription's new period and charges its tenant's default card; outcomes in input order. */
  abstract invoiceRenewals(items: RenewalCharge[]): Promise<ChargeOutcome[]>;

  /** Enqueues collection jobs for invoices whose retry is due or whose first collection never ran. */
  abstract enqueueDueCollections(now: Date): Promise<number>;
}
