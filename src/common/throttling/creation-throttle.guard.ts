import { applyDecorators, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiResponse } from '@nestjs/swagger';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { RequestContext } from '../context/request-context.js';
import { RateLimitGuard, RateLimitScope } from './rate-limit.guard.js';

const CREATION_KIND = 'eshtarek:creation-kind';

export type CreationKind = 'tenants' | 'payment-methods' | 'api-keys' | 'invitations';

/** The rate-limit headers of an answer, for Swagger. */
export const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': {
    description: 'Requests allowed in the window (the tightest limit that applies)',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until the window ends', schema: { type: 'integer' } },
} as const;

/**
 * Creations of one kind per signed-in user and per tenant, in a window (CREATE_MAX_PER_USER,
 * CREATE_MAX_PER_TENANT, CREATE_THROTTLE_WINDOW_SECONDS), counted in Redis across processes: so
 * that cards cannot be tested, nor tenants, keys or invitations minted, in bulk.
 *
 * While Redis is unavailable these limits fail open: the callers are signed in (and audited), an
 * outage is short, and refusing every card, key and invitation meanwhile would take the product
 * down with Redis. Sign-in and registration (AuthAttemptsGuard) fail closed instead.
 */
@Injectable()
export class CreationThrottleGuard extends RateLimitGuard {
  protected override failsOpen(): boolean {
    return true;
  }

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly context: RequestContext,
  ) {
    super(options, storage, reflector);
  }

  protected override async counterKey(scope: RateLimitScope, props: ThrottlerRequest): Promise<string | null> {
    const kind = this.reflector.get<CreationKind | undefined>(CREATION_KIND, props.context.getHandler());
    const subject =
      scope === 'user' ? this.context.actorOrNull?.userId : scope === 'tenant' ? this.context.tenantIdOrNull : undefined;
    return kind && subject ? `create:${kind}:${scope}:${subject}` : null;
  }
}

/** Rate-limits a creation route (see CreationThrottleGuard) and documents its 429. */
export function CreationRateLimit(kind: CreationKind) {
  return applyDecorators(
    SetMetadata(CREATION_KIND, kind),
    UseGuards(CreationThrottleGuard),
    ApiResponse({
      status: 429,
      description:
        'Too many creations of this kind by the caller or in the tenant within the window (`rate_limited`); retry after Retry-After seconds',
      headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } }, ...RATE_LIMIT_HEADERS },
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    }),
  );
}
