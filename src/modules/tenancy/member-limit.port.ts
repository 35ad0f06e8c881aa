/**
 * Asked before the member count of the current tenant grows. Tenancy sits below subscriptions
 * (DESIGN.md: dependencies point one way), so the subscriptions module provides the
 * implementation that knows the plan's `max_users` limit.
 */
export abstract class MemberLimit {
  /** Throws 403 `limit_exceeded` when `newCount` members would exceed the plan's hard limit. */
  abstract assertAllows(newCount: number): Promise<void>;
}
