import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
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
import { PaymentRetryProcessor, ProrationProcessor } from './proration.processor.js';

/** Payment methods, invoices and their collection; InvoicingService implements subscriptions' billing ports (bound in src/ports.module.ts). */
@Module({
  imports: [AuditModule, SubscriptionsModule],
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
  ],
  exports: [InvoicingService, InvoicesService],
})
export class BillingModule {}

/**
 * Billing's processors (the `proration` and `payment-retries` queues).
 * Imported by the worker process only: the API enqueues jobs, it never runs them.
 */
@Module({ imports: [BillingModule], providers: [ProrationProcessor, PaymentRetryProcessor] })
export class BillingWorkerModule {}
