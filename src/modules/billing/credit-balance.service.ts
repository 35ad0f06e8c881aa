import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '../../common/context/request-context.js';
import { fromMinor } from '../../common/money.js';
import { decodeCursor, exactTimestampSql, toPage } from '../../common/http/pagination.js';
import type { CreditReason } from './credit.rules.js';
import { CreditBalancePageDto, CreditBalanceQuery } from './dto/billing.dto.js';

interface EntryRow {
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

/** The tenant's credit balance per currency and its ledger, newest first, each entry with the balance it left. */
@Injectable()
export class CreditBalanceService {
  constructor(
    private readonly em: EntityManager,
    private readonly context: RequestContext,
  ) {}

  async get(query: CreditBalanceQuery): Promise<CreditBalancePageDto> {
    const tenantId = this.context.tenantId;
    const currency = query.currency ?? null;
    const balances = await this.em.execute<{ currency: string; amount: string }[]>(
      `select currency, sum(amount) as amount from credit_ledger
        where tenant_id = ? and (?::text is null or currency = ?) group by currency order by currency`,
      [tenantId, currency, currency],
    );
    const after = decodeCursor(query.cursor);
    // The running balance is the sum of the currency's entries up to each one, in ledger order.
    const rows = await this.em.execute<EntryRow[]>(
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
      [tenantId, currency, currency, after?.at ?? null, after?.at ?? null, after?.id ?? null, query.limit + 1],
    );
    const page = toPage(
      rows,
      query.limit,
      (r) => ({ at: r.cursor_at, id: r.id }),
      (r) => ({
        id: r.id,
        currency: r.currency,
        amount: fromMinor(BigInt(r.amount)),
        reason: r.reason,
        invoiceId: r.invoice_id,
        invoiceNumber: r.invoice_number,
        balanceAfter: fromMinor(BigInt(r.balance_after)),
        createdAt: new Date(r.created_at).toISOString(),
      }),
    );
    return {
      balances: balances.map((b) => ({ currency: b.currency, amount: fromMinor(BigInt(b.amount)) })),
      ...page,
    };
  }
}
