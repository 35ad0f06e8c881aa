import fc from 'fast-check';
import { periodLine } from '../subscriptions/proration.rules.js';
import type { Line } from '../subscriptions/proration.rules.js';
import {
  afterAttempt,
  balanceKey,
  chargeKey,
  CollectionState,
  createdAudit,
  draftInvoices,
  InvoiceRequest,
} from './invoice-drafting.rules.js';

const at = (iso: string) => new Date(iso);
const now = at('2030-03-01T00:00:00Z');
const period = { start: at('2030-03-01T00:00:00Z'), end: at('2030-04-01T00:00:00Z') };
let seq = 0;
const ids = () => `id-${++seq}`;

const line = (amount: bigint): Line => ({
  kind: amount < 0n ? 'proration_credit' : 'proration_charge',
  description: 'x',
  amount,
  periodStart: period.start,
  periodEnd: period.end,
  calculation: { formula: `${amount}`, rounding: 'half_away_from_zero' },
});

const request = (tenantId: string, lines: Line[], currency = 'USD'): InvoiceRequest => ({
  buyer: { tenantId },
  seller: 'platform',
  subscriptionId: `sub-${tenantId}`,
  currency,
  reason: 'subscription_update',
  period,
  lines,
});

describe('draftInvoices', () => {
  it('bills the lines, then uses the buyer’s credit with a line and a ledger entry', () => {
    const [draft] = draftInvoices(
      [{ ...request('t1', [periodLine('Pro', 3000n, period.start, period.end)]), reason: 'subscription_cycle' }],
      ['INV-000007'],
      new Map([[balanceKey({ tenantId: 't1' }, 'USD'), 1000n]]),
      now,
      ids,
    );
    expect(draft).toMatchObject({
      number: 'INV-000007',
      status: 'open',
      paidAt: null,
      pricing: { subtotal: 3000n, creditApplied: 1000n, creditAdded: 0n, total: 2000n },
      credits: [{ amount: -1000n, reason: 'applied_to_invoice' }],
    });
    expect(draft.lines.map((l) => [l.position, l.kind, l.amount])).toEqual([
      [0, 'subscription', 3000n],
      [1, 'credit_applied', -1000n],
    ]);
    expect(createdAudit(draft)).toEqual({
      number: 'INV-000007',
      status: 'open',
      totalAmount: 2000,
      creditApplied: 1000,
      reason: 'subscription_cycle',
    });
  });

  it('moves a net credit to the balance and charges nothing (paid at once)', () => {
    const [draft] = draftInvoices([request('t1', [line(-900n), line(400n)])], ['INV-1'], new Map(), now, ids);
    expect(draft).toMatchObject({ status: 'paid', paidAt: now, credits: [{ amount: 500n, reason: 'proration_credit' }] });
    expect(draft.lines.at(-1)).toMatchObject({ kind: 'credit_to_balance', amount: 500n, calculation: null });
  });

  it('never spends one buyer’s balance twice in one batch, and keeps buyers and currencies apart', () => {
    const balances = new Map([
      [balanceKey({ tenantId: 't1' }, 'USD'), 1500n],
      [balanceKey({ tenantId: 't2' }, 'USD'), 1500n],
    ]);
    const drafts = draftInvoices(
      [
        request('t1', [line(1000n)]),
        request('t1', [line(1000n)]),
        request('t2', [line(1000n)]),
        request('t1', [line(1000n)], 'EUR'),
      ],
      ['a', 'b', 'c', 'd'],
      balances,
      now,
      ids,
    );
    expect(drafts.map((d) => d.pricing.creditApplied)).toEqual([1000n, 500n, 1000n, 0n]);
  });

  it('conserves money across a batch: what buyers pay plus credit used equals what was billed plus credit added', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            tenant: fc.constantFrom('t1', 't2', 't3'),
            amounts: fc.array(fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }), { minLength: 1, maxLength: 4 }),
          }),
          { maxLength: 8 },
        ),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 7n }), { minLength: 3, maxLength: 3 }),
        (items, start) => {
          const tenants = ['t1', 't2', 't3'];
          const balances = new Map(tenants.map((t, i) => [balanceKey({ tenantId: t }, 'USD'), start[i]]));
          const drafts = draftInvoices(
            items.map((it) => request(it.tenant, it.amounts.map(line))),
            items.map((_, i) => `INV-${i}`),
            balances,
            now,
            ids,
          );
          for (const [i, d] of drafts.entries()) {
            // The stored lines (credit movements included) sum to what is charged; the ledger moves as they say.
            expect(d.lines.reduce((sum, l) => sum + l.amount, 0n)).toBe(d.pricing.total);
            expect(d.credits.reduce((sum, c) => sum + c.amount, 0n)).toBe(d.pricing.creditAdded - d.pricing.creditApplied);
            expect(d.lines.map((l) => l.position)).toEqual(d.lines.map((_, p) => p));
            expect(d.status).toBe(d.pricing.total > 0n ? 'open' : 'paid');
            expect(d.request.buyer.tenantId).toBe(items[i].tenant);
          }
          // No balance goes below zero through credit use.
          for (const [k, t] of tenants.entries()) {
            const used = drafts
              .filter((d) => d.request.buyer.tenantId === t)
              .reduce((sum, d) => sum + d.pricing.creditApplied, 0n);
            const added = drafts
              .filter((d) => d.request.buyer.tenantId === t)
              .reduce((sum, d) => sum + d.pricing.creditAdded, 0n);
            expect(used <= start[k] + added).toBe(true);
          }
        },
      ),
    );
  });
});

describe('afterAttempt', () => {
  const open: CollectionState = {
    status: 'open',
    attemptCount: 0,
    autoAttemptCount: 0,
    dunningStartedAt: null,
    nextAttemptAt: null,
    paidAt: null,
  };

  it('pays the invoice; an automatic attempt counts on the schedule', () => {
    expect(afterAttempt(open, true, true, now)).toEqual({
      ...open,
      status: 'paid',
      attemptCount: 1,
      autoAttemptCount: 1,
      paidAt: now,
      exhausted: false,
    });
    expect(afterAttempt(open, true, false, now)).toMatchObject({ attemptCount: 1, autoAttemptCount: 0 });
  });

  it('starts dunning on an automatic failure; a "pay now" failure leaves the schedule alone', () => {
    expect(afterAttempt(open, false, true, now)).toEqual({
      ...open,
      attemptCount: 1,
      autoAttemptCount: 1,
      dunningStartedAt: now,
      nextAttemptAt: at('2030-03-02T00:00:00Z'),
      exhausted: false,
    });
    expect(afterAttempt(open, false, false, now)).toEqual({ ...open, attemptCount: 1, exhausted: false });
  });

  it('is exhausted after the last retry', () => {
    const last = { ...open, attemptCount: 3, autoAttemptCount: 3, dunningStartedAt: now, nextAttemptAt: now };
    expect(afterAttempt(last, false, true, now)).toMatchObject({
      attemptCount: 4,
      autoAttemptCount: 4,
      exhausted: true,
      nextAttemptAt: null,
    });
  });
});

describe('chargeKey', () => {
  it('keys a period’s invoice on its subscription and period, any other on its id', () => {
    const base = { id: 'inv', subscriptionId: 'sub', periodStart: period.start };
    expect(chargeKey({ ...base, reason: 'subscription_cycle' }, 1)).toBe('cycle:sub:2030-03-01T00:00:00.000Z:attempt-1');
    expect(chargeKey({ ...base, reason: 'subscription_create' }, 2)).toBe('cycle:sub:2030-03-01T00:00:00.000Z:attempt-2');
    expect(chargeKey({ ...base, reason: 'subscription_update' }, 1)).toBe('invoice:inv:attempt-1');
  });
});
