import { Global, Module } from '@nestjs/common';
import { RenewalBilling, SubscriptionBilling } from '../subscriptions/subscription-billing.port.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { BillingController } from './billing.controller.js';
import { ChargeIntentRepository } from './charge-intent.repository.js';
import { ChargeIntents } from './charge-intents.service.js';
import { CreditBalanceService } from './credit-balance.service.js';
import { CreditRepository } from './credit.repository.js';
import { InvoiceRepository } from './invoice.repository.js';
import { InvoicesService } from './invoices.service.js';
import { InvoicingService } from './invoicing.service.js';
import { MockPaymentGateway, PaymentGateway, PostgresMockGatewayStore } from './payment-gateway.js';
import { PaymentMethodRepository } from './payment-method.repository.js';
import { PaymentMethodsService } from './payment-methods.service.js';

/** Global so that subscriptions (below it) receives the SubscriptionBilling port without importing billing. */
@Global()
@Module({
  imports: [SubscriptionsModule],
  controllers: [BillingController],
  providers: [
    PaymentMethodsService,
    PaymentMethodRepository,
    InvoiceRepository,
    CreditRepository,
    InvoicingService,
    InvoicesService,
    CreditBalanceService,
    ChargeIntents,
    ChargeIntentRepository,
    PostgresMockGatewayStore,
    {
      provide: PaymentGateway,
      useFactory: (store: PostgresMockGatewayStore) => new MockPaymentGateway(store),
      inject: [PostgresMockGatewayStore],
    },
    { provide: SubscriptionBilling, useExisting: InvoicingService },
    { provide: RenewalBilling, useExisting: InvoicingService },
  ],
  exports: [InvoicingService, InvoicesService, SubscriptionBilling, RenewalBilling],
})
export class BillingModule {}
