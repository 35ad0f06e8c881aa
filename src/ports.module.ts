import { Global, Module, type Provider, type Type } from '@nestjs/common';
import { ClockMoved } from './common/clock/clock-moved.js';
import { TenantAccessAudit } from './common/transaction/tenant-access-audit.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { PlatformAccess } from './modules/audit/platform-access.service.js';
import { BillingModule } from './modules/billing/billing.module.js';
import { InvoicingService } from './modules/billing/invoicing.service.js';
import { CounterUsage } from './modules/metering/counter-usage.js';
import { MeteringModule } from './modules/metering/metering.module.js';
import { MeteredUsage } from './modules/subscriptions/metered-usage.port.js';
import { PlanMemberLimit } from './modules/subscriptions/plan-member-limit.js';
import { RenewalScanOnClockMove } from './modules/subscriptions/renewal-scan-on-clock-move.js';
import { RenewalBilling, SubscriptionBilling } from './modules/subscriptions/subscription-billing.port.js';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module.js';
import { MemberLimit } from './modules/tenancy/member-limit.port.js';

/** A port bound to the provider that implements it; the compiler checks that it does. */
const bind = <P>(port: abstract new (...args: never[]) => P, implementation: Type<P>): Provider => ({
  provide: port,
  useExisting: implementation,
});

/**
 * The ports, bound: each is declared by the module (or the mechanism in common/) that needs it
 * and implemented by a module to its right (DESIGN.md: dependencies point one way), so the two
 * never import each other and only this composition knows both. It is global because a port's
 * consumer may not import its implementer; it is the only global module above src/common,
 * src/config, src/database and src/jobs, and it exports nothing but ports.
 */
@Global()
@Module({
  imports: [AuditModule, SubscriptionsModule, BillingModule, MeteringModule],
  providers: [
    bind(TenantAccessAudit, PlatformAccess),
    bind(ClockMoved, RenewalScanOnClockMove),
    bind(MemberLimit, PlanMemberLimit),
    bind(SubscriptionBilling, InvoicingService),
    bind(RenewalBilling, InvoicingService),
    bind(MeteredUsage, CounterUsage),
  ],
  exports: [TenantAccessAudit, ClockMoved, MemberLimit, SubscriptionBilling, RenewalBilling, MeteredUsage],
})
export class PortsModule {}
