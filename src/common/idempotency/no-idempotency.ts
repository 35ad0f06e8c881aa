import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

export const NO_IDEMPOTENCY_KEY = 'eshtarek:no-idempotency';

export const IDEMPOTENCY_IGNORED =
  'Ignored on this route: it issues credentials, which are never stored for a replay. A retry is a new request.';

/**
 * For routes whose answer is a credential (tokens, a new API key's secret): the Idempotency-Key
 * header is ignored, so no record is kept and nothing is replayed. Storing the answer would keep
 * live credentials for 24 h, and replaying it would hand them out again without the checks of the
 * route (a spent refresh token must revoke its session, not return the pair it once bought).
 * The header is accepted and ignored, not refused: every POST accepts it (API.md), and a client
 * that sends one on every call must not break.
 */
export const NoIdempotency = () =>
  applyDecorators(
    SetMetadata(NO_IDEMPOTENCY_KEY, true),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: IDEMPOTENCY_IGNORED, schema: { type: 'string' } }),
  );
