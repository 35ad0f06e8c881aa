import { Injectable } from '@nestjs/common';
import type { TenantCaller } from '../../common/auth/caller.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import type { InvoiceDto } from '../subscriptions/dto/invoice.dto.js';
import { BillingErrorCode, BillingErrors } from './billing.errors.js';
import { invoiceDto, PaymentDto } from './dto/billing.dto.js';
import { InvoiceRepository } from './invoice.repository.js';
import { InvoicingService } from './invoicing.service.js';

/** The tenant's invoices and payments, and paying an open invoice by hand. */
@Injectable()
export class InvoicesService {
  constructor(
    private readonly invoices: InvoiceRepository,
    private readonly invoicing: InvoicingService,
  ) {}

  async list(caller: TenantCaller, query: PageQuery): Promise<Page<InvoiceDto>> {
    const page = await this.invoices.page(caller.tenantId, query);
    const lines = await this.invoices.linesOf(caller.tenantId, page.data);
    return { data: page.data.map((i) => invoiceDto(i, lines.get(i.id) ?? [])), nextCursor: page.nextCursor };
  }

  async get(caller: TenantCaller, id: string): Promise<InvoiceDto> {
    const invoice = await this.invoices.findOne(caller.tenantId, id);
    if (!invoice) throw BillingErrors.of(BillingErrorCode.InvoiceNotFound);
    return invoiceDto(invoice, (await this.invoices.linesOf(caller.tenantId, [invoice])).get(id) ?? []);
  }

  payments(caller: TenantCaller, query: PageQuery): Promise<Page<PaymentDto>> {
    return this.invoices.payments(caller.tenantId, query, PaymentDto.from);
  }

  /**
   * Charges an open invoice now with the subscription's card (or the default card); success brings
   * a past-due subscription back to active. An extra attempt: the dunning schedule is unchanged.
   */
  async pay(caller: TenantCaller, id: string): Promise<InvoiceDto> {
    const invoice = await this.invoices.findOne(caller.tenantId, id);
    if (!invoice) throw BillingErrors.of(BillingErrorCode.InvoiceNotFound);
    const result = await this.invoicing.collectOpen(caller, id, false);
    if (result.status.startsWith('subscription_')) throw BillingErrors.of(BillingErrorCode.SubscriptionEnded);
    if (result.status !== 'open' && !result.paid && !result.failureCode) {
      throw BillingErrors.of(BillingErrorCode.InvoiceNotOpen, { detail: `The invoice is ${result.status}, not open` });
    }
    if (!result.paid) {
      throw BillingErrors.of(BillingErrorCode.PaymentFailed, {
        detail: `The payment failed: ${result.failureCode}`,
        extensions: { failureCode: result.failureCode ?? 'card_declined' },
      }).keepingWork();
    }
    return this.get(caller, id);
  }
}
