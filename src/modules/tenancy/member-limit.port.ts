import type { TenantId } from '../../common/auth/caller.js';

/**
 * Asked before a tenant's member count grows. Tenancy sits below subscriptions
 * (DESIGN.md: dependencies point one way), so the subscriptions module provides the
 * implementation that knows the plan's `max_users` limit.
 */
export abstract class MemberLimit {
  /** Throws 403 `limit_exceeded` when `newCount` members would exceed the tenant's plan's hard limit. */
  abstract assertAllows(tenantId: TenantId, newCount: number): Promise<void>;
}
