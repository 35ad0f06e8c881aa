import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`)',
  401: 'Missing, invalid or revoked credentials (`unauthenticated`)',
  402: 'The charge failed (`payment_failed`)',
  403: 'Not allowed (`forbidden`, `tenant_suspended`, `limit_exceeded`)',
  404: 'Not found, or not visible to the caller (`not_found`)',
  409: 'Conflicts with the current state (`conflict`, `invalid_transition`, `idempotency_key_reused`, …)',
  413: 'Body larger than 1 MB',
  429: 'Too many attempts (`rate_limited`), with Retry-After',
  503: 'A service the route needs is unavailable for a moment (`service_unavailable`), with Retry-After',
};

/** The error answers of a route, all in the problem-details shape of API.md. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        ...(status === 429 || status === 503
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
          : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
      }),
    ),
  );
}
