import type { Subscription } from './subscription.entity.js';
import type { Line } from './proration.rules.js';
import type { InvoiceDto } from './dto/invoice.dto.js';

export interface BilledInvoice {
  id: string;
  number: string;
  status: 'open' | 'paid' | 'void' | 'uncollectible';
  totalAmount: bigint;
}

/** How lines become what is charged (billing's invoice-pricing.rules.ts), all in minor units. */
export interface DraftPricing {
  subtotal: bigint;
  creditApplied: bigint;
  creditAdded: bigint;
  total: bigint;
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

  /** Invoices the lines now and charges the card (null: the default card) synchronously: a subscription's first period. */
  abstract invoiceAndCharge(subscription: Subscription, lines: Line[], paymentMethodId: string | null): Promise<ChargeOutcome>;

  /**
   * Invoices the lines now for `period` and collects in the background (proration); a net credit
   * goes to the tenant's balance. Answers the invoice as the API shows it.
   */
  abstract invoiceAndCollectLater(
    subscription: Subscription,
    lines: Line[],
    period: { start: Date; end: Date },
  ): Promise<InvoiceDto>;

  /** Voids an open invoice and gives back the credit it used; false when it was not open. */
  abstract voidInvoice(invoiceId: string): Promise<boolean>;

  /** Voids every open invoice of the subscriptions (they ended: nothing more is collected), giving back their credit; how many. */
  abstract voidOpenInvoices(subscriptionIds: string[]): Promise<number>;

  /** Whether an invoice of the subscription is still open (unpaid). */
  abstract hasOpenInvoice(subscriptionId: string): Promise<boolean>;

  /** What invoicing these lines now would charge, with the tenant's credit balance: the same rule invoices use. */
  abstract priceLines(lines: Line[], currency: string): Promise<DraftPricing>;

  /** Adds credit to the tenant's balance (a ledger entry). */
  abstract addCredit(currency: string, amount: bigint, reason: 'cancellation_credit'): Promise<void>;
}

/** One subscription's next period to invoice and charge at renewal (plain data: renewals are set-based). */
export interface RenewalCharge {
  subscriptionId: string;
  tenantId: string;
  /** The subscription's own card; null (or removed) charges the tenant's default card. */
  paymentMethodId: string | null;
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

  /** As SubscriptionBilling's: the open invoices of subscriptions that just ended. */
  abstract voidOpenInvoices(subscriptionIds: string[]): Promise<number>;

  /** Settles charges whose outcome never reached the database (see billing's ChargeIntents); how many. */
  abstract reconcileCharges(): Promise<number>;

  /** Enqueues collection jobs for invoices whose retry is due or whose first collection never ran. */
  abstract enqueueDueCollections(now: Date): Promise<number>;
}
