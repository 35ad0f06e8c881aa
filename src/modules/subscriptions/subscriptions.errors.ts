import { AppError, Errors } from '../../common/errors/app-error.js';
import type { GaugeViolation } from './usage-limits.rules.js';

export const SubscriptionErrors = {
  none: () => Errors.notFound('Live subscription'),
  alreadyLive: () => Errors.conflict('The tenant already has a live subscription'),
  samePlan: () => Errors.conflict('The subscription is already on the current version of this plan'),
  currencyMismatch: () =>
    Errors.conflict('Plans in another currency cannot replace this subscription; cancel and subscribe again'),
  downgradeBlocked: (violations: GaugeViolation[]) =>
    new AppError(
      409,
      'downgrade_blocked',
      'Downgrade blocked',
      `Current use exceeds the plan's limits: ${violations.map((v) => `${v.metric} (${v.used} used, limit ${v.limit})`).join(', ')}`,
      violations.map((v) => ({ field: v.metric, message: `${v.used} in use, the plan allows ${v.limit}` })),
      undefined,
      { metrics: violations },
    ),
  limitExceeded: (metric: string, limit: number, used: number, requested: number, resetsAt: Date | null) =>
    new AppError(
      403,
      'limit_exceeded',
      'Limit exceeded',
      `The plan allows ${limit} ${metric}; ${used} used, ${requested} more requested`,
      undefined,
      undefined,
      { metric, limit, used, requested, resetsAt: resetsAt?.toISOString() ?? null },
    ),
  noPaymentMethod: () => Errors.paymentFailed('no_payment_method', 'Add a payment method before subscribing to a paid plan'),
};
