import { Injectable } from '@nestjs/common';
import type { TenantCaller } from '../../common/auth/caller.js';
import { fromMinor } from '../../common/money.js';
import { decodeCursor, toPage } from '../../common/http/pagination.js';
import { CreditRepository } from './credit.repository.js';
import { CreditBalancePageDto, CreditBalanceQuery } from './dto/billing.dto.js';

/** The tenant's credit balance per currency and its ledger, newest first, each entry with the balance it left. */
@Injectable()
export class CreditBalanceService {
  constructor(private readonly credits: CreditRepository) {}

  async get(caller: TenantCaller, query: CreditBalanceQuery): Promise<CreditBalancePageDto> {
    const currency = query.currency ?? null;
    const balances = await this.credits.totals(caller.tenantId, currency);
    const rows = await this.credits.page(caller.tenantId, currency, decodeCursor(query.cursor), query.limit + 1);
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
