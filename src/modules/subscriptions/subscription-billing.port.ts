import type { TenantCaller, TenantId } from '../../common/auth/caller.js';
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

/** What one invoice of a subscription bills: billing drafts it (numbering, credit, lines) and collects it. */
export interface SubscriptionBill {
  subscriptionId: string;
  currency: string;
  /** The service period the invoice bills (its header). */
  period: { start: Date; end: Date };
  lines: Line[];
}

/**
 * What the subscription lifecycle needs from billing. Billing builds on subscriptions (DESIGN.md:
 * dependencies point one way), so subscriptions declares this port and the billing module
 * provides it. Subscriptions says what to bill; billing owns how invoices are drafted, charged and dunned.
 */
export abstract class SubscriptionBilling {
  /** Throws unless the tenant has this card (or, without an id, any card); returns the card id. */
  abstract resolvePaymentMethod(tenantId: TenantId, paymentMethodId?: string | null): Promise<string | null>;

  /**
   * Invoices a subscription's first period and charges the card (null: the default card)
   * synchronously. `planVersionId` keys a retried subscribe's charge to the first one.
   */
  abstract invoiceAndCharge(
    caller: TenantCaller,
    bill: SubscriptionBill & { planVersionId: string },
    paymentMethodId: string | null,
  ): Promise<ChargeOutcome>;

  /** Invoices the lines now and collects in the background (proration); a net credit goes to the balance. */
  abstract invoiceAndCollectLater(caller: TenantCaller, bill: SubscriptionBill): Promise<InvoiceDto>;

  /** Voids an open invoice and gives back the credit it used; false when it was not open. */
  abstract voidInvoice(tenantId: TenantId, invoiceId: string): Promise<boolean>;

  /** Voids every open invoice of the subscriptions (they ended: nothing more is collected), giving back their credit; how many. */
  abstract voidOpenInvoices(tenantId: TenantId, subscriptionIds: string[]): Promise<number>;

  /** Whether an invoice of the subscription is still open (unpaid). */
  abstract hasOpenInvoice(tenantId: TenantId, subscriptionId: string): Promise<boolean>;

  /** What invoicing this bill now would charge, with the tenant's credit balance: drafted as the invoice would be, not written. */
  abstract previewInvoice(tenantId: TenantId, bill: SubscriptionBill): Promise<DraftPricing>;

  /** Adds credit to the tenant's balance (a ledger entry). */
  abstract addCredit(tenantId: TenantId, currency: string, amount: bigint, reason: 'cancellation_credit'): Promise<void>;
}

/** One subscription's next period to invoice and charge at renewal (plain data: renewals are set-based). */
export interface RenewalCharge extends SubscriptionBill {
  tenantId: string;
  /** The subscription's own card; null (or removed) charges the tenant's default card. */
  paymentMethodId: string | null;
}

/**
 * Batch side of the port, used by the renewal worker on the platform path (across tenants).
 * Declared separately so the request-time port stays small.
 */
export abstract class RenewalBilling {
  /** Invoices each subscription's new period and charges its card; outcomes in input order. */
  abstract invoiceRenewals(items: RenewalCharge[]): Promise<ChargeOutcome[]>;

  /** The open invoices of subscriptions that just ended, across tenants (see `voidOpenInvoices`). */
  abstract voidOpenInvoicesOfEnded(subscriptionIds: string[]): Promise<number>;

  /** Settles charges whose outcome never reached the database (see billing's ChargeIntents); how many. */
  abstract reconcileCharges(): Promise<number>;

  /** Enqueues collection jobs for invoices whose retry is due or whose first collection never ran. */
  abstract enqueueDueCollections(now: Date): Promise<number>;
}
