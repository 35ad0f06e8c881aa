/** Billing's jobs: an invoice's collection, on the `proration` (first attempt) and `payment-retries` (dunning) queues. */

export const COLLECT_INVOICE_JOB = 'collect-invoice';

export interface CollectInvoiceJob {
  tenantId: string;
  invoiceId: string;
  subscriptionId: string;
}
