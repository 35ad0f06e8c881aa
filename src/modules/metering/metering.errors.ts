import { AppError, Errors, FieldError } from '../../common/errors/app-error.js';

export const MeteringErrors = {
  invalid: (errors: FieldError[]) => Errors.validation(errors.map((e) => e.message).join('; '), errors),
  noSubscription: () => Errors.notFound('Live subscription'),
  unknownMetric: (metric: string) =>
    Errors.validation(`${metric} is not metered: the plan does not limit it and no policy defines it`, [
      { field: 'metric', message: `${metric} is neither limited by the plan nor a known metric` },
    ]),
  metricNotFound: (metric: string) => Errors.notFound(`Metric ${metric}`),
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
  keyRevoked: () => Errors.unauthenticated('This API key has been revoked'),
};
