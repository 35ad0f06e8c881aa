import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PlansModule } from '../plans/plans.module.js';
import { PlanMemberLimit } from './plan-member-limit.js';
import { RenewalScanOnClockMove } from './renewal-scan-on-clock-move.js';
import { RenewalProcessor } from './renewal.processor.js';
import { RenewalService } from './renewal.service.js';
import { SubscriptionPayments } from './subscription-payments.js';
import { SubscriptionRepository } from './subscription.repository.js';
import { SubscriptionUsage } from './subscription-usage.service.js';
import { SubscriptionsController } from './subscriptions.controller.js';
import { SubscriptionsService } from './subscriptions.service.js';

/**
 * Subscriptions and their lifecycle. It implements tenancy's MemberLimit port (PlanMemberLimit) and
 * the clock's ClockMoved port (RenewalScanOnClockMove), and declares the SubscriptionBilling,
 * RenewalBilling and MeteredUsage ports that billing and metering implement; src/ports.module.ts
 * binds them.
 */
@Module({
  imports: [AuditModule, PlansModule],
  controllers: [SubscriptionsController],
  providers: [
    SubscriptionsService,
    SubscriptionRepository,
    SubscriptionUsage,
    SubscriptionPayments,
    RenewalService,
    PlanMemberLimit,
    RenewalScanOnClockMove,
  ],
  exports: [SubscriptionsService, SubscriptionPayments, RenewalService, PlanMemberLimit, RenewalScanOnClockMove],
})
export class SubscriptionsModule {}

/**
 * Subscriptions' processor (the `renewals` queue).
 * Imported by the worker process only: the API enqueues jobs, it never runs them.
 */
@Module({ imports: [SubscriptionsModule], providers: [RenewalProcessor] })
export class SubscriptionsWorkerModule {}
