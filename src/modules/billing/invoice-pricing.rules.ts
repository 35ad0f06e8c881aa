/**
 * How an invoice's lines become what is charged: the tenant's credit balance pays first; a
 * net-negative invoice charges nothing and adds the difference to the balance. Pure, integer.
 */
export interface InvoicePricing {
  subtotal: bigint;
  /** Credit used by this invoice (≥ 0). */
  creditApplied: bigint;
  /** Credit this invoice adds to the balance (≥ 0). */
  creditAdded: bigint;
  /** What is charged (≥ 0). */
  total: bigint;
}

export function priceInvoice(lineAmounts: readonly bigint[], creditBalance: bigint): InvoicePricing {
  const subtotal = lineAmounts.reduce((sum, amount) => sum + amount, 0n);
  const available = creditBalance > 0n ? creditBalance : 0n;
  const creditApplied = subtotal > 0n ? (available < subtotal ? available : subtotal) : 0n;
  return {
    subtotal,
    creditApplied,
    creditAdded: subtotal < 0n ? -subtotal : 0n,
    total: subtotal > 0n ? subtotal - creditApplied : 0n,
  };
}
