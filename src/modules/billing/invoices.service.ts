import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { BillingErrorCode, BillingErrors } from './billing.errors.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { InvoiceLine } from './invoice-line.entity.js';
import { Invoice } from './invoice.entity.js';
import { Payment } from './payment.entity.js';
import type { InvoiceDto } from '../subscriptions/dto/invoice.dto.js';
import { invoiceDto, PaymentDto } from './dto/billing.dto.js';
import { InvoicingService } from './invoicing.service.js';

/** The tenant's invoices and payments, and paying an open invoice by hand. */
@Injectable()
export class InvoicesService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly invoicing: InvoicingService,
    private readonly audit: AuditService,
  ) {}

  async list(query: PageQuery): Promise<Page<InvoiceDto>> {
    const rows = await this.em.find(Invoice, afterCursor(query.cursor, 'desc'), {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
    });
    const page = await entityPage(this.em, Invoice, rows, query.limit, (i) => i);
    const lines = await this.linesOf(page.data);
    return { data: page.data.map((i) => invoiceDto(i, lines.get(i.id) ?? [])), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<InvoiceDto> {
    const invoice = await this.em.findOne(Invoice, id);
    if (!invoice) throw BillingErrors.of(BillingErrorCode.InvoiceNotFound);
    return invoiceDto(invoice, (await this.linesOf([invoice])).get(id) ?? []);
  }

  async payments(query: PageQuery): Promise<Page<PaymentDto>> {
    const rows = await this.em.find(Payment, afterCursor(query.cursor, 'desc'), {
      populate: ['invoice'],
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
    });
    return entityPage(this.em, Payment, rows, query.limit, PaymentDto.from);
  }

  /**
   * Charges an open invoice now with the subscription's card (or the default card); success brings
   * a past-due subscription back to active. An extra attempt: the dunning schedule is unchanged.
   */
  async pay(id: string): Promise<InvoiceDto> {
    const invoice = await this.em.findOne(Invoice, id);
    if (!invoice) throw BillingErrors.of(BillingErrorCode.InvoiceNotFound);
    const result = await this.invoicing.collectOpen(id, false);
    if (result.status.startsWith('subscription_')) {
      throw BillingErrors.of(BillingErrorCode.SubscriptionEnded);
    }
    if (result.status !== 'open' && !result.paid && !result.failureCode) {
      throw BillingErrors.of(BillingErrorCode.InvoiceNotOpen, { detail: `The invoice is ${result.status}, not open` });
    }
    if (!result.paid) {
      throw BillingErrors.of(BillingErrorCode.PaymentFailed, {
        detail: `The payment failed: ${result.failureCode}`,
        extensions: { failureCode: result.failureCode ?? 'card_declined' },
      }).keepingWork();
    }
    return this.get(id);
  }

  private async linesOf(invoices: Invoice[]): Promise<Map<string, InvoiceLine[]>> {
    if (!invoices.length) return new Map();
    const lines = await this.em.find(InvoiceLine, { invoice: invoices.map((i) => i.id) }, { orderBy: { position: 'asc' } });
    const byInvoice = new Map<string, InvoiceLine[]>();
    for (const line of lines) byInvoice.set(line.invoice.id, [...(byInvoice.get(line.invoice.id) ?? []), line]);
    return byInvoice;
  }
}
