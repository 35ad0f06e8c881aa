import { ExecutionContext, Injectable } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { isUUID } from 'class-validator';
import { Errors } from '../errors/app-error.js';
import { RequestContext, TenantRole } from '../context/request-context.js';
import { TenantSession } from '../../database/tenant-session.js';
import { Clock } from '../clock/clock.service.js';
import { ACCESS_KEY, AccessRule } from './access.js';
import { ApiKeyAuthenticator, looksLikeApiKey } from './api-key-authenticator.js';
import type { AccessTokenClaims } from './jwt.strategy.js';

interface CallerRow {
  is_platform_admin: boolean;
  session_active: boolean;
  memberships: { tenantId: string; role: TenantRole; status: string }[];
  requested_status: string | null;
}

const BEARER = /^bearer\s+(\S+)$/i;

/**
 * The one guard chain of the API: authenticate (JWT bound to a live session, or a tenant API key
 * on routes that accept one) → resolve the tenant (X-Tenant-Id, the only membership, or the key's
 * tenant) and check membership and suspension → check the role. The result goes into the request
 * context (CLS); routes without an `@Access` rule need a signed-in caller, so a forgotten decorator
 * fails closed.
 */
@Injectable()
export class AccessGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly moduleRef: ModuleRef,
  ) {
    super();
  }

  private authenticator?: ApiKeyAuthenticator;

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]) ?? {};
    if (rule.public) return true;
    const request = ctx.switchToHttp().getRequest<FastifyRequest & { user: AccessTokenClaims }>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token && looksLikeApiKey(token)) return this.activateApiKey(rule, request, token);

    await super.canActivate(ctx);
    const claims = request.user;
    const requestedTenant = this.requestedTenant(rule, request);
    const caller = await this.loadCaller(claims, requestedTenant);
    if (!caller?.session_active) throw Errors.unauthenticated('Session expired or revoked');
    const isPlatformAdmin = caller.is_platform_admin;
    this.context.setActor({ userId: claims.sub, sessionId: claims.sid, isPlatformAdmin });

    if (rule.platformAdmin && !isPlatformAdmin) throw Errors.forbidden('Platform admins only');
    if (!rule.tenant) return true;

    const tenantId = requestedTenant ?? this.implicitTenant(caller);
    const membership = caller.memberships.find((m) => m.tenantId === tenantId);
    if (!membership && !isPlatformAdmin) throw Errors.forbidden('You are not a member of this tenant');
    const status = membership?.status ?? caller.requested_status;
    if (!status) throw Errors.notFound('Tenant');
    if (status === 'suspended' && !isPlatformAdmin) throw Errors.tenantSuspended();
    if (rule.roles && !isPlatformAdmin && !rule.roles.includes(membership!.role)) {
      throw Errors.forbidden(`This needs the role ${rule.roles.join(' or ')}`);
    }
    this.context.setTenant({ tenantId, role: membership?.role ?? null });
    return true;
  }

  /**
   * A tenant API key: only where the route accepts one (team, billing and admin routes refuse it),
   * always acting for its own tenant — naming another one with X-Tenant-Id is refused.
   */
  private async activateApiKey(rule: AccessRule, request: FastifyRequest, token: string): Promise<boolean> {
    if (!rule.apiKey || !rule.tenant)
      throw Errors.forbidden('API keys may only call the metering routes (/v1/usage, /v1/entitlements)');
    const requestedTenant = this.requestedTenant(rule, request);
    this.authenticator ??= this.moduleRef.get(ApiKeyAuthenticator, { strict: false });
    const key = await this.authenticator.authenticate(token);
    if (requestedTenant && requestedTenant !== key.tenantId) throw Errors.forbidden('This API key acts for another tenant');
    this.context.setApiKey(key);
    this.context.setTenant({ tenantId: key.tenantId, role: null });
    return true;
  }

  private requestedTenant(rule: AccessRule, request: FastifyRequest): string | null {
    const header = request.headers['x-tenant-id'];
    const requestedTenant = rule.tenant && typeof header === 'string' && header !== '' ? header : null;
    if (requestedTenant && !isUUID(requestedTenant)) {
      throw Errors.validation('X-Tenant-Id must be a UUID', [{ field: 'X-Tenant-Id', message: 'must be a UUID' }]);
    }
    return requestedTenant;
  }

  override handleRequest<T>(error: unknown, user: T): T {
    if (error || !user) throw Errors.unauthenticated('Missing or invalid access token');
    return user;
  }

  private implicitTenant(caller: CallerRow): string {
    if (caller.memberships.length === 1) return caller.memberships[0].tenantId;
    if (caller.memberships.length === 0) throw Errors.forbidden('You are not a member of any tenant');
    throw Errors.validation('You belong to several tenants: name one with the X-Tenant-Id header', [
      { field: 'X-Tenant-Id', message: 'required when you belong to several tenants' },
    ]);
  }

  private loadCaller(claims: AccessTokenClaims, requestedTenant: string | null): Promise<CallerRow | undefined> {
    return this.session.run({ userId: claims.sub, tenantId: requestedTenant }, async (em) => {
      const rows = await em.execute<CallerRow[]>(
        // The session through its narrow definer function (the API role cannot read sessions);
        // memberships and tenants under row-level security as the user. Still one statement.
        `select c.is_platform_admin, c.session_active,
                coalesce((select json_agg(json_build_object('tenantId', m.tenant_id, 'role', m.role, 'status', t.status))
                            from memberships m join tenants t on t.id = m.tenant_id
                           where m.user_id = ?), '[]'::json) as memberships,
                (select t.status from tenants t where t.id = ?) as requested_status
           from auth_session_caller(?, ?, ?) c`,
        [claims.sub, requestedTenant, claims.sid, claims.sub, this.clock.realNow()],
      );
      return rows[0];
    });
  }
}
