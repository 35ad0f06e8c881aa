import type { FieldError } from '../../common/errors/app-error.js';
import { moduleErrors } from '../../common/errors/module-errors.js';

export enum MeteringErrorCode {
  InvalidUsage = 'invalid_usage',
  NoSubscription = 'no_subscription',
  UnknownMetric = 'unknown_metric',
  MetricNotFound = 'metric_not_found',
  KeyRevoked = 'key_revoked',
}

export const MeteringErrors = moduleErrors<MeteringErrorCode>({
  [MeteringErrorCode.InvalidUsage]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'The usage report is invalid',
  },
  [MeteringErrorCode.NoSubscription]: {
    status: 404,
    code: 'not_found',
    title: 'Not found',
    detail: 'Live subscription not found',
  },
  [MeteringErrorCode.UnknownMetric]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'The metric is not metered: the plan does not limit it and no policy defines it',
  },
  [MeteringErrorCode.MetricNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Metric not found' },
  [MeteringErrorCode.KeyRevoked]: {
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthenticated',
    detail: 'This API key has been revoked',
  },
});

/** 400 naming each invalid field; the detail joins their messages. */
export const invalidUsage = (errors: FieldError[]) =>
  MeteringErrors.of(MeteringErrorCode.InvalidUsage, { detail: errors.map((e) => e.message).join('; '), errors });
