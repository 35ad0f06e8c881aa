import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { BillingErrorCode, BillingErrors } from './billing.errors.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { Subscription } from '../subscriptions/subscription.entity.js';
import { PaymentMethod } from './payment-method.entity.js';
import { luhnValid, notExpired } from './cards.rules.js';
import { AddPaymentMethodDto, PaymentMethodDto } from './dto/billing.dto.js';
import { PaymentGateway } from './payment-gateway.js';

/** Cards on file. Only brand, last4, expiry and the provider token are stored; the newest card is the default. */
@Injectable()
export class PaymentMethodsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly context: RequestContext,
    private readonly gateway: PaymentGateway,
    private readonly audit: AuditService,
  ) {}

  /** The default card: the newest one not removed. */
  private async defaultCard(): Promise<PaymentMethod | null> {
    const [newest] = await this.em.find(
      PaymentMethod,
      { deletedAt: null },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 1 },
    );
    return newest ?? null;
  }

  /** A page of the cards, newest (the default) first; API.md's list shape `{ data, nextCursor }`. */
  async list(query: PageQuery): Promise<Page<PaymentMethodDto>> {
    const defaultCard = await this.defaultCard();
    const rows = await this.em.find(
      PaymentMethod,
      {
        deletedAt: null,
        ...afterCursor(query.cursor, 'desc'),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, PaymentMethod, rows, query.limit, (pm) => PaymentMethodDto.from(pm, pm.id === defaultCard?.id));
  }

  async add(dto: AddPaymentMethodDto): Promise<PaymentMethodDto> {
    if (!luhnValid(dto.cardNumber)) {
      throw BillingErrors.of(BillingErrorCode.CardNumberInvalid, {
        errors: [{ field: 'cardNumber', message: 'fails the Luhn check' }],
      });
    }
    if (!notExpired(dto.expMonth, dto.expYear, this.clock.now())) {
      throw BillingErrors.of(BillingErrorCode.CardExpired, { errors: [{ field: 'expYear', message: 'the card has expired' }] });
    }
    const card = await this.gateway.tokenize(dto.cardNumber);
    const pm = this.em.create(PaymentMethod, {
      tenantId: this.context.tenantId,
      brand: card.brand,
      last4: card.last4,
      expMonth: dto.expMonth,
      expYear: dto.expYear,
      providerToken: card.token,
      createdAt: this.clock.realNow(),
      deletedAt: null,
    });
    await this.em.flush();
    const after = PaymentMethodDto.from(pm, true);
    this.audit.record({ action: 'payment_method.added', targetType: 'payment_method', targetId: pm.id, after });
    return after;
  }

  async remove(id: string): Promise<void> {
    const pm = await this.em.findOne(PaymentMethod, { id, deletedAt: null });
    if (!pm) throw BillingErrors.of(BillingErrorCode.PaymentMethodNotFound);
    pm.deletedAt = this.clock.realNow();
    // A subscription that charged this card follows the default card from now on.
    await this.em.nativeUpdate(Subscription, { paymentMethodId: id }, { paymentMethodId: null });
    await this.em.flush();
    this.audit.record({
      action: 'payment_method.removed',
      targetType: 'payment_method',
      targetId: id,
      before: PaymentMethodDto.from(pm, false),
    });
  }

  /** A card of the tenant by id, or the default (newest) card; null when the tenant has none. */
  async find(id?: string | null): Promise<PaymentMethod | null> {
    if (id) {
      const pm = await this.em.findOne(PaymentMethod, { id, deletedAt: null });
      if (!pm) throw BillingErrors.of(BillingErrorCode.PaymentMethodNotFound);
      return pm;
    }
    return this.defaultCard();
  }
}
