import { AuditLog } from '../modules/audit/audit-log.entity.js';
import { User } from '../modules/auth/user.entity.js';
import { Membership, Tenant } from '../modules/tenancy/tenant.entity.js';
import { Invitation } from '../modules/tenancy/invitation.entity.js';
import { Policy } from '../modules/policies/policy.entity.js';
import { Plan, PlanVersion } from '../modules/plans/plan.entity.js';
import { Subscription } from '../modules/subscriptions/subscription.entity.js';
import { CreditEntry } from '../modules/billing/credit-entry.entity.js';
import { InvoiceLine } from '../modules/billing/invoice-line.entity.js';
import { Invoice } from '../modules/billing/invoice.entity.js';
import { PaymentMethod } from '../modules/billing/payment-method.entity.js';
import { Payment } from '../modules/billing/payment.entity.js';
import { ApiKey } from '../modules/auth/api-key.entity.js';
import { Notification } from '../modules/metering/notification.entity.js';

/**
 * Mapped entities. Sessions, refresh tokens and idempotency records are not among them: the
 * API's role reaches them only through database functions (see CredentialsRepository).
 */
export const entities = [
  User,
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
  ApiKey,
  Notification,
];

/** Entities with a `tenantId`: the tenant filter applies to each, and each table has row-level security. */
export const tenantOwnedEntities = [
  Membership,
  Invitation,
  AuditLog,
  Subscription,
  PaymentMethod,
  Invoice,
  InvoiceLine,
  Payment,
  CreditEntry,
  ApiKey,
  Notification,
];
