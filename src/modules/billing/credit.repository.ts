import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { exactTimestampSql } from '../../common/http/pagination.js';
import { newId } from '../../database/ids.js';
import { pgArray } from '../../database/sql.js';
import { CreditEntry } from './credit-entry.entity.js';
import type { CreditReason } from './credit.rules.js';
import { balanceKey, type Buyer } from './invoice-drafting.rules.js';

export interface LedgerRow {
  id: string;
  currency: string;
  amount: string;
  reason: CreditReason;
  invoice_id: string | null;
  invoice_number: string | null;
  balance_after: string;
  created_at: Date;
  cursor_at: string;
}

/** The credit ledger (append-only): balances for drafting and the ledger pages. */
@Injectable()
export class CreditRepository {
  constructor(private readonly em: EntityManager) {}

  /** Each buyer's balance in each currency asked for, in one statement (keys: `balanceKey`). */
  async balances(wanted: { buyer: Buyer; currency: string }[]): Promise<Map<string, bigint>> {
    if (!wanted.length) return new Map();
    const rows = await this.em.execute<{ tenant_id: string; currency: string; balance: string }[]>(
      `select tenant_id, currency, sum(amount) as balance from credit_ledger
        where (tenant_id, currency) in (select * from unnest(?::uuid[], ?::text[]))
        group by tenant_id, currency`,
      [pgArray(wanted.map((w) => w.buyer.tenantId)), pgArray(wanted.map((w) => w.currency))],
    );
    return new Map(rows.map((r) => [balanceKey({ tenantId: r.tenant_id }, r.currency), BigInt(r.balance)]));
  }

  /** Adds a ledger entry that belongs to no invoice (a cancellation's credit). */
  async add(tenantId: TenantId, currency: string, amount: bigint, reason: CreditReason, now: Date): Promise<void> {
    await this.em.insert(CreditEntry, { id: newId(), tenantId, currency, amount, reason, invoice: null, createdAt: now });
  }

  async totals(tenantId: TenantId, currency: string | null): Promise<{ currency: string; amount: string }[]> {
    return this.em.execute(
      `select currency, sum(amount) as amount from credit_ledger
        where tenant_id = ? and (?::text is null or currency = ?) group by currency order by currency`,
      [tenantId, currency, currency],
    );
  }

  /** A page of the ledger, newest first; each entry with the balance of its currency after it. */
  async page(
    tenantId: TenantId,
    currency: string | null,
    after: { at: string; id: string } | null,
    limit: number,
  ): Promise<LedgerRow[]> {
    return this.em.execute<LedgerRow[]>(
      `select * from (
         select c.id, c.currency, c.amount, c.reason, c.invoice_id, i.number as invoice_number, c.created_at,
                ${exactTimestampSql('c.created_at')} as cursor_at,
                sum(c.amount) over (partition by c.currency order by c.created_at, c.id) as balance_after
           from credit_ledger c left join invoices i on i.id = c.invoice_id
          where c.tenant_id = ? and (?::text is null or c.currency = ?)
       ) e
        where (?::timestamptz is null or (e.created_at, e.id) < (?::timestamptz, ?::uuid))
        order by e.created_at desc, e.id desc
        limit ?`,
      [tenantId, currency, currency, after?.at ?? null, after?.at ?? null, after?.id ?? null, limit],
    );
  }
}
