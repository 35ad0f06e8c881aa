/**
 * The tenant's credit balance (pure rules). Credit is money the platform owes the tenant, kept per
 * currency in an append-only ledger: it is used first by later invoices, given back when the invoice
 * that used it is voided, and stays used when an invoice ends uncollectible (it paid for service the
 * tenant had while dunning ran; only the card part is written off).
 */
export const CREDIT_REASONS = ['proration_credit', 'cancellation_credit', 'applied_to_invoice', 'invoice_voided'] as const;
export type CreditReason = (typeof CREDIT_REASONS)[number];
