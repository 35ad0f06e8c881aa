import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestContext } from '../../common/context/request-context.js';
import { OpsDashboardAuth } from './ops-dashboard-auth.js';

/**
 * For the ops sign-out: makes the ops session's admin the request's actor (so the request's
 * transaction and audit entry carry them), and lets a request without one through — signing out
 * without a session just clears the cookie.
 */
@Injectable()
export class OpsSessionGuard implements CanActivate {
  constructor(
    private readonly opsAuth: OpsDashboardAuth,
    private readonly context: RequestContext,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const actor = await this.opsAuth.authenticate(ctx.switchToHttp().getRequest<FastifyRequest>());
    if (actor) this.context.setActor({ ...actor, isPlatformAdmin: true });
    return true;
  }
}
