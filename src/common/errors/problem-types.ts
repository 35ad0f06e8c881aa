/** One entry of the error catalogue: what a problem `code` means and what to do about it. */
export interface ProblemType {
  code: string;
  status: number;
  title: string;
  meaning: string;
}

/** Where the API serves the catalogue; every problem's `type` is `/problems/<code>` (resolved against the API's own URL). */
export const PROBLEMS_PATH = '/problems';

export const problemTypeUri = (code: string) => `${PROBLEMS_PATH}/${code}`;

/**
 * Every `code` the API answers with. problem-types.spec.ts fails when a module throws a code that
 * is missing here, so the catalogue cannot drift from the code.
 */
export const PROBLEM_TYPES: readonly ProblemType[] = [
  {
    code: 'validation_failed',
    status: 400,
    title: 'Validation failed',
    meaning: 'The request is malformed or a field is invalid; `errors` lists each field and what is wrong with it.',
  },
  {
    code: 'bad_request',
    status: 400,
    title: 'Bad request',
    meaning: 'The HTTP layer refused the request for a reason without its own code; `status` and `detail` say which.',
  },
  {
    code: 'unauthenticated',
    status: 401,
    title: 'Unauthenticated',
    meaning:
      'Credentials are missing, invalid, expired or revoked (wrong password, signed-out session, revoked API key). Sign in again.',
  },
  {
    code: 'payment_failed',
    status: 402,
    title: 'Payment failed',
    meaning: 'The card was charged and declined; `failureCode` says why. The attempt is kept on record; nothing else changed.',
  },
  {
    code: 'forbidden',
    status: 403,
    title: 'Forbidden',
    meaning: 'You are signed in but your role (or credential type: API keys only reach the metering routes) does not allow this.',
  },
  {
    code: 'tenant_suspended',
    status: 403,
    title: 'Tenant suspended',
    meaning: 'A platform admin suspended this tenant; its members and API keys are refused until it is reactivated.',
  },
  {
    code: 'limit_exceeded',
    status: 403,
    title: 'Limit exceeded',
    meaning:
      "The plan's hard limit for `metric` would be crossed (`limit`, `used`, `requested`, `resetsAt`); nothing was counted.",
  },
  {
    code: 'not_found',
    status: 404,
    title: 'Not found',
    meaning: 'No such route or object, or it belongs to another tenant (another tenant’s objects are always 404, never 403).',
  },
  {
    code: 'method_not_allowed',
    status: 405,
    title: 'Method not allowed',
    meaning: 'The route exists but not with this HTTP method.',
  },
  {
    code: 'conflict',
    status: 409,
    title: 'Conflict',
    meaning:
      'The request conflicts with the current state (a taken email or code, the last tenant_admin, a clock moved backwards); `detail` says which.',
  },
  {
    code: 'invalid_transition',
    status: 409,
    title: 'Invalid transition',
    meaning: 'The object’s state does not allow this move (e.g. cancelling a canceled subscription).',
  },
  {
    code: 'downgrade_blocked',
    status: 409,
    title: 'Downgrade blocked',
    meaning: 'The target plan’s limits are below what the tenant uses now; reduce usage (e.g. members) first.',
  },
  {
    code: 'idempotency_key_reused',
    status: 409,
    title: 'Idempotency key reused',
    meaning: 'This Idempotency-Key was already used (by the same caller, within 24 h) with another request; use a new key.',
  },
  {
    code: 'clock_control_off',
    status: 409,
    title: 'Clock control is off',
    meaning:
      'The application clock follows real time; only with CLOCK_CONTROL=true (never in production) may a platform admin move or reset it.',
  },
  {
    code: 'payload_too_large',
    status: 413,
    title: 'Payload too large',
    meaning: 'The body is larger than 1 MB.',
  },
  {
    code: 'uri_too_long',
    status: 414,
    title: 'URI too long',
    meaning: 'The URL (path and query) is longer than the API accepts.',
  },
  {
    code: 'request_timeout',
    status: 408,
    title: 'Request timeout',
    meaning: 'The request was not received completely in time; the connection is closed.',
  },
  {
    code: 'headers_too_large',
    status: 431,
    title: 'Request header fields too large',
    meaning: 'The request headers are larger than the API accepts.',
  },
  {
    code: 'unsupported_media_type',
    status: 415,
    title: 'Unsupported media type',
    meaning: 'Bodies are JSON: send `Content-Type: application/json`.',
  },
  {
    code: 'rate_limited',
    status: 429,
    title: 'Too many requests',
    meaning: 'Too many attempts in the window; wait the seconds in `Retry-After`.',
  },
  {
    code: 'service_unavailable',
    status: 503,
    title: 'Service unavailable',
    meaning:
      'A service this request needs (PostgreSQL, or Redis for sign-in attempt counters, queues and the mock card provider) is unavailable for a moment; nothing was changed. Retry after the seconds in `Retry-After`.',
  },
  {
    code: 'internal',
    status: 500,
    title: 'Internal server error',
    meaning: 'An unexpected error; nothing about it is disclosed. Quote `requestId` when reporting it.',
  },
];
