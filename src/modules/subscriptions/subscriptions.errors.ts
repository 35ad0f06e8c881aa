import { moduleErrors } from '../../common/errors/module-errors.js';
import type { GaugeViolation } from './usage-limits.rules.js';

export enum SubscriptionErrorCode {
  NoLiveSubscription = 'no_live_subscription',
  AlreadyLive = 'already_live',
  SamePlan = 'same_plan',
  CurrencyMismatch = 'currency_mismatch',
  DowngradeBlocked = 'downgrade_blocked',
  NoPaymentMethod = 'no_payment_method',
  FirstPaymentFailed = 'first_payment_failed',
  InvalidTransition = 'invalid_transition',
  UnpaidInvoice = 'unpaid_invoice',
  ProrateAtPeriodEnd = 'prorate_at_period_end',
  ProrationDateOutOfRange = 'proration_date_out_of_range',
}

export const SubscriptionErrors = moduleErrors<SubscriptionErrorCode>({
  [SubscriptionErrorCode.NoLiveSubscription]: {
    status: 404,
    code: 'not_found',
    title: 'Not found',
    detail: 'Live subscription not found',
  },
  [SubscriptionErrorCode.AlreadyLive]: {
    status: 409,
    code: 'conflict',
    title: 'Conflict',
    detail: 'The tenant already has a live subscription',
  },
  [SubscriptionErrorCode.SamePlan]: {
    status: 409,
    code: 'conflict',
    title: 'Conflict',
    detail: 'The subscription is already on the current version of this plan',
  },
  [SubscriptionErrorCode.CurrencyMismatch]: {
    status: 409,
    code: 'conflict',
    title: 'Conflict',
    detail: 'Plans in another currency cannot replace this subscription; cancel and subscribe again',
  },
  [SubscriptionErrorCode.DowngradeBlocked]: {
    status: 409,
    code: 'downgrade_blocked',
    title: 'Downgrade blocked',
    detail: "Current use exceeds the plan's limits",
  },
  [SubscriptionErrorCode.NoPaymentMethod]: {
    status: 402,
    code: 'payment_failed',
    title: 'Payment failed',
    detail: 'Add a payment method before subscribing to a paid plan',
  },
  [SubscriptionErrorCode.FirstPaymentFailed]: {
    status: 402,
    code: 'payment_failed',
    title: 'Payment failed',
    detail: 'The first payment failed',
  },
  [SubscriptionErrorCode.InvalidTransition]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'The subscription cannot make this move',
  },
  [SubscriptionErrorCode.UnpaidInvoice]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'The subscription has an unpaid invoice; pay it before changing plan',
  },
  [SubscriptionErrorCode.ProrateAtPeriodEnd]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'prorate applies to a cancellation now',
  },
  [SubscriptionErrorCode.ProrationDateOutOfRange]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'prorationDate must be within the last hour of the current period',
  },
});

/** The gauges a plan change would break, named in the detail, the field errors and `metrics`. */
export const downgradeBlocked = (violations: GaugeViolation[]) =>
  SubscriptionErrors.of(SubscriptionErrorCode.DowngradeBlocked, {
    detail: `Current use exceeds the plan's limits: ${violations.map((v) => `${v.metric} (${v.used} used, limit ${v.limit})`).join(', ')}`,
    errors: violations.map((v) => ({ field: v.metric, message: `${v.used} in use, the plan allows ${v.limit}` })),
    extensions: { metrics: violations },
  });
