import fc from 'fast-check';
import { priceInvoice } from './invoice-pricing.rules.js';

describe('priceInvoice', () => {
  it('uses credit first and never charges below zero', () => {
    expect(priceInvoice([1000n], 0n)).toEqual({ subtotal: 1000n, creditApplied: 0n, creditAdded: 0n, total: 1000n });
    expect(priceInvoice([1000n], 300n)).toEqual({ subtotal: 1000n, creditApplied: 300n, creditAdded: 0n, total: 700n });
    expect(priceInvoice([1000n], 5000n)).toEqual({ subtotal: 1000n, creditApplied: 1000n, creditAdded: 0n, total: 0n });
    expect(priceInvoice([-516n, 100n], 50n)).toEqual({ subtotal: -416n, creditApplied: 0n, creditAdded: 416n, total: 0n });
  });

  it('conserves money: charged + credit used − credit added = subtotal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), { maxLength: 5 }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        (lines, balance) => {
          const p = priceInvoice(lines, balance);
          expect(p.total + p.creditApplied - p.creditAdded).toBe(p.subtotal);
          expect(p.total >= 0n && p.creditApplied >= 0n && p.creditAdded >= 0n && p.creditApplied <= balance).toBe(true);
        },
      ),
    );
  });
});
