import { IdempotencyRecord } from '../common/idempotency/idempotency-record.entity.js';
import { AuditLog } from '../modules/audit/audit-log.entity.js';
import { RefreshToken, Session } from '../modules/auth/session.entity.js';
import { User } from '../modules/auth/user.entity.js';
import { Membership, Tenant } from '../modules/tenancy/tenant.entity.js';
import { Invitation } from '../modules/tenancy/invitation.entity.js';
import { Policy } from '../modules/policies/policy.entity.js';
import { Plan, PlanVersion } from '../modules/plans/plan.entity.js';
import { Subscription } from '../modules/subscriptions/subscription.entity.js';
import { CreditEntry, Invoice, InvoiceLine, Payment, PaymentMethod } from '../modules/billing/billing.entities.js';
import { ApiKey } from '../modules/auth/api-key.entity.js';
import { Notification } from '../modules/metering/notification.entity.js';

export const entities = [
  User,
  Session,
  RefreshToken,
  Tenant,
  Membership,
  Invitation,
  AuditLog,
  IdempotencyRecord,
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
