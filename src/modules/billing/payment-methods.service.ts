import { Injectable } from '@nestjs/common';
import type { TenantCaller, TenantId } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { SubscriptionPayments } from '../subscriptions/subscription-payments.js';
import { BillingErrorCode, BillingErrors } from './billing.errors.js';
import { luhnValid, notExpired } from './cards.rules.js';
import { AddPaymentMethodDto, PaymentMethodDto } from './dto/billing.dto.js';
import { PaymentGateway } from './payment-gateway.js';
import { PaymentMethodRepository } from './payment-method.repository.js';
import type { PaymentMethod } from './payment-method.entity.js';

/** Cards on file. Only brand, last4, expiry and the provider token are stored; the newest card is the default. */
@Injectable()
export class PaymentMethodsService {
  constructor(
    private readonly cards: PaymentMethodRepository,
    private readonly clock: Clock,
    private readonly gateway: PaymentGateway,
    private readonly audit: AuditService,
    private readonly subscriptions: SubscriptionPayments,
  ) {}

  /** A page of the cards, newest (the default) first; API.md's list shape `{ data, nextCursor }`. */
  async list(caller: TenantCaller, query: PageQuery): Promise<Page<PaymentMethodDto>> {
    const defaultCard = await this.cards.defaultCard(caller.tenantId);
    return this.cards.page(caller.tenantId, query, (pm) => PaymentMethodDto.from(pm, pm.id === defaultCard?.id));
  }

  async add(caller: TenantCaller, dto: AddPaymentMethodDto): Promise<PaymentMethodDto> {
    if (!luhnValid(dto.cardNumber)) {
      throw BillingErrors.of(BillingErrorCode.CardNumberInvalid, {
        errors: [{ field: 'cardNumber', message: 'fails the Luhn check' }],
      });
    }
    if (!notExpired(dto.expMonth, dto.expYear, this.clock.now())) {
      throw BillingErrors.of(BillingErrorCode.CardExpired, { errors: [{ field: 'expYear', message: 'the card has expired' }] });
    }
    const card = await this.gateway.tokenize(dto.cardNumber);
    const pm = await this.cards.add(caller.tenantId, {
      brand: card.brand,
      last4: card.last4,
      expMonth: dto.expMonth,
      expYear: dto.expYear,
      providerToken: card.token,
      createdAt: this.clock.realNow(),
    });
    const after = PaymentMethodDto.from(pm, true);
    this.audit.record({ action: 'payment_method.added', targetType: 'payment_method', targetId: pm.id, after });
    return after;
  }

  async remove(caller: TenantCaller, id: string): Promise<void> {
    const pm = await this.cards.findActive(caller.tenantId, id);
    if (!pm) throw BillingErrors.of(BillingErrorCode.PaymentMethodNotFound);
    await this.subscriptions.forgetCard(caller.tenantId, id);
    await this.cards.remove(caller.tenantId, pm, this.clock.realNow());
    this.audit.record({
      action: 'payment_method.removed',
      targetType: 'payment_method',
      targetId: id,
      before: PaymentMethodDto.from(pm, false),
    });
  }

  /** A card of the tenant by id, or the default (newest) card; null when the tenant has none. */
  async find(tenantId: TenantId, id?: string | null): Promise<PaymentMethod | null> {
    if (id) {
      const pm = await this.cards.findActive(tenantId, id);
      if (!pm) throw BillingErrors.of(BillingErrorCode.PaymentMethodNotFound);
      return pm;
    }
    return this.cards.defaultCard(tenantId);
  }
}
