import { moduleErrors } from '../../common/errors/module-errors.js';

export enum BillingErrorCode {
  InvoiceNotFound = 'invoice_not_found',
  PaymentMethodNotFound = 'payment_method_not_found',
  CardNumberInvalid = 'card_number_invalid',
  CardExpired = 'card_expired',
  SubscriptionEnded = 'subscription_ended',
  InvoiceNotOpen = 'invoice_not_open',
  PaymentFailed = 'payment_failed',
}

export const BillingErrors = moduleErrors<BillingErrorCode>({
  [BillingErrorCode.InvoiceNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Invoice not found' },
  [BillingErrorCode.PaymentMethodNotFound]: {
    status: 404,
    code: 'not_found',
    title: 'Not found',
    detail: 'Payment method not found',
  },
  [BillingErrorCode.CardNumberInvalid]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'The card number is not valid',
  },
  [BillingErrorCode.CardExpired]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'The card has expired',
  },
  [BillingErrorCode.SubscriptionEnded]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'The subscription of this invoice has ended; nothing more is collected on it',
  },
  [BillingErrorCode.InvoiceNotOpen]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'The invoice is not open',
  },
  [BillingErrorCode.PaymentFailed]: {
    status: 402,
    code: 'payment_failed',
    title: 'Payment failed',
    detail: 'The payment failed',
  },
});
