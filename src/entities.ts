import { AuditLog } from './modules/audit/audit-log.entity.js';
import { ApiKey } from './modules/auth/api-key.entity.js';
import { User } from './modules/auth/user.entity.js';
import { CreditEntry } from './modules/billing/credit-entry.entity.js';
import { Invoice } from './modules/billing/invoice.entity.js';
import { InvoiceLine } from './modules/billing/invoice-line.entity.js';
import { Payment } from './modules/billing/payment.entity.js';
import { PaymentMethod } from './modules/billing/payment-method.entity.js';
import { Notification } from './modules/metering/notification.entity.js';
import { Plan } from './modules/plans/plan.entity.js';
import { PlanVersion } from './modules/plans/plan-version.entity.js';
import { Policy } from './modules/policies/policy.entity.js';
import { Subscription } from './modules/subscriptions/subscription.entity.js';
import { Invitation } from './modules/tenancy/invitation.entity.js';
import { Membership } from './modules/tenancy/membership.entity.js';
import { Tenant } from './modules/tenancy/tenant.entity.js';

/**
 * Every mapped entity, listed here where the modules are composed (database/ imports no module).
 * Which of them are tenant-owned is read from their metadata (see database/tenant-filter.ts).
 * Sessions, refresh tokens and idempotency records are not among them: the API's role reaches them
 * only through database functions (see CredentialsRepository).
 */
export const entities = [
  User,
  ApiKey,
  Tenant,
  Membership,
  Invitation,
  AuditLog,
  Policy,
  Plan,
  PlanVersion,
  Subscription,
  PaymentMethod,
  Invoice,
  InvoiceLine,
  Payment,
  CreditEntry,
  Notification,
];
