/** One field-level problem in a `validation_failed` answer. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * A failure the client can act on. Modules declare their codes in `x.errors.ts` and throw these;
 * the problem-details filter turns them into RFC 9457 answers.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail ?? title);
  }

  /** Set by `keepingWork()`: the request's transaction commits before the error is answered. */
  keepWork = false;

  /**
   * Answer with this error but commit what the request wrote first — for failures that are
   * themselves facts to keep, such as a declined charge recorded as a failed payment.
   */
  keepingWork(): this {
    this.keepWork = true;
    return this;
  }
}

export const Errors = {
  validation: (detail: string, errors?: FieldError[]) =>
    new AppError(400, 'validation_failed', 'Validation failed', detail, errors),
  uriTooLong: () => new AppError(414, 'uri_too_long', 'URI too long', 'A segment of the path is longer than allowed'),
  unauthenticated: (detail = 'Authentication is required') => new AppError(401, 'unauthenticated', 'Unauthenticated', detail),
  forbidden: (detail = 'You are not allowed to do this') => new AppError(403, 'forbidden', 'Forbidden', detail),
  tenantSuspended: () => new AppError(403, 'tenant_suspended', 'Tenant suspended', 'This tenant is suspended'),
  notFound: (what = 'Resource') => new AppError(404, 'not_found', 'Not found', `${what} not found`),
  conflict: (detail: string) => new AppError(409, 'conflict', 'Conflict', detail),
  idempotencyKeyReused: () =>
    new AppError(
      409,
      'idempotency_key_reused',
      'Idempotency key reused',
      'This Idempotency-Key was already used with a different request',
    ),
  invalidTransition: (detail: string) => new AppError(409, 'invalid_transition', 'Invalid transition', detail),
  paymentFailed: (failureCode: string, detail: string) =>
    new AppError(402, 'payment_failed', 'Payment failed', detail, undefined, undefined, { failureCode }),
  /** A dependency (PostgreSQL, Redis) is unavailable: retry later; nothing was done. */
  serviceUnavailable: (detail: string, retryAfterSeconds: number) =>
    new AppError(503, 'service_unavailable', 'Service unavailable', detail, undefined, {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    }),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(429, 'rate_limited', 'Too many requests', 'Too many attempts; try again later', undefined, {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    }),
};
