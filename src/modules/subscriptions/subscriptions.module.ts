import { Global, Module } from '@nestjs/common';
import { PlansModule } from '../plans/plans.module.js';
import { MemberLimit } from '../tenancy/member-limit.port.js';
import { TenancyModule } from '../tenancy/tenancy.module.js';
import { PlanMemberLimit } from './plan-member-limit.js';
import { RenewalService } from './renewal.service.js';
import { SubscriptionPayments } from './subscription-payments.js';
import { SubscriptionRepository } from './subscription.repository.js';
import { SubscriptionUsage } from './subscription-usage.service.js';
import { SubscriptionsController } from './subscriptions.controller.js';
import { SubscriptionsService } from './subscriptions.service.js';

/** Global so that tenancy (below it) receives the MemberLimit port without importing it. */
@Global()
@Module({
  imports: [PlansModule, TenancyModule],
  controllers: [SubscriptionsController],
  providers: [
    SubscriptionsService,
    SubscriptionRepository,
    SubscriptionUsage,
    SubscriptionPayments,
    RenewalService,
    { provide: MemberLimit, useClass: PlanMemberLimit },
  ],
  exports: [SubscriptionsService, SubscriptionPayments, RenewalService, MemberLimit],
})
export class SubscriptionsModule {}
