import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLS_ID, ClsService } from 'nestjs-cls';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { ACCESS_TOKEN_TYPE, AccessTokenClaims, hasExpiry } from '../../common/auth/jwt.strategy.js';
import { refuseHostileInput } from '../../common/http/input-limits.js';
import { toProblem } from '../../common/errors/problem-details.filter.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from '../audit/audit.service.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';
import { CredentialsRepository } from './credentials.repository.js';
import { opsWriteAction } from './ops-dashboard.rules.js';

export const OPS_SESSION_COOKIE = 'eshtarek_ops';
/** Short: an ops session holds the keys to every queue; the admin signs in again after half an hour. */
export const OPS_SESSION_TTL_SECONDS = 30 * 60;
/** Everything of the ops dashboard lives under /admin: the sign-in page, Bull Board and sign-out. */
export const OPS_ROOT = '/admin';
export const OPS_LOGIN_ROUTE = `${OPS_ROOT}/login`;
export const OPS_LOGOUT_ROUTE = `${OPS_ROOT}/logout`;
const OPS_TOKEN_TYPE = 'ops';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const BEARER = /^bearer\s+(\S+)$/i;

/** A platform admin signed in to the ops dashboard, bound to a live server-side session. */
export interface OpsActor {
  userId: string;
  sessionId: string;
}

interface OpsTokenClaims {
  sub: string;
  sid: string;
  typ: typeof OPS_TOKEN_TYPE;
}

/**
 * Authenticates access to the ops dashboards (Bull Board), which live outside the Nest routes:
 * the session cookie set by the ops sign-in page (`/admin/login`, the same credential check,
 * throttle and decoy hash as `POST /v1/auth/login`), or a platform admin's access token (Bearer).
 * Both name a row of `sessions` that is checked on every request, so sign-out, a password change
 * or an expiry ends access at once; nothing about a credential is remembered in the process.
 */
@Injectable()
export class OpsDashboardAuth {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly session: TenantSession,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly cls: ClsService,
    private readonly credentials: CredentialsRepository,
  ) {}

  /** The platform admin behind the request's Bearer token or ops cookie; null for anyone else. */
  async authenticate(request: FastifyRequest): Promise<OpsActor | null> {
    const bearer = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const cookie = request.cookies?.[OPS_SESSION_COOKIE];
    const claims = bearer
      ? await this.verify<AccessTokenClaims>(bearer, ACCESS_TOKEN_TYPE)
      : cookie
        ? await this.verify<OpsTokenClaims>(cookie, OPS_TOKEN_TYPE)
        : null;
    if (!claims) return null;
    // Its own short transaction: the dashboard's requests run outside the Nest unit of work.
    const admin = await this.session.run({ userId: claims.sub }, () =>
      this.credentials.isPlatformAdminSession(claims.sid, claims.sub, this.clock.realNow()),
    );
    return admin ? { userId: claims.sub, sessionId: claims.sid } : null;
  }

  private async verify<T extends { sub: string; sid: string; typ: string }>(token: string, type: T['typ']): Promise<T | null> {
    try {
      const claims = await this.jwt.verifyAsync<T & { exp?: unknown }>(token, {
        algorithms: ['HS256'],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
      const valid = hasExpiry(claims) && claims.typ === type && typeof claims.sub === 'string' && typeof claims.sid === 'string';
      return valid ? claims : null;
    } catch {
      return null;
    }
  }

  /** The cookie value for an ops session: names the session, expires with it. */
  signSessionCookie(actor: OpsActor): Promise<string> {
    const claims: OpsTokenClaims = { sub: actor.userId, sid: actor.sessionId, typ: OPS_TOKEN_TYPE };
    return this.jwt.signAsync(claims, {
      expiresIn: OPS_SESSION_TTL_SECONDS,
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
      algorithm: 'HS256',
    });
  }

  /**
   * httpOnly (no script reads it), SameSite=Strict (no other site can make the browser send it,
   * which is the dashboard's CSRF defence), scoped to /admin, and Secure unless the page is
   * served over plain http on this machine (a browser drops a Secure cookie there).
   */
  cookieOptions(request: FastifyRequest): CookieSerializeOptions {
    const local = request.protocol === 'http' && LOOPBACK_HOSTS.has(request.hostname);
    return { httpOnly: true, sameSite: 'strict', secure: !local, path: OPS_ROOT, maxAge: OPS_SESSION_TTL_SECONDS };
  }

  /**
   * The Fastify `onRequest` hook of the Bull Board scope: platform admins only; a browser without
   * a session is sent to the sign-in page, anything else gets a 401 problem. A write (any method
   * but GET/HEAD on the board's API: retry, clean, promote, add, pause…) is recorded in the audit
   * log with its actor before it runs, so an action that cannot be recorded does not run.
   */
  async guard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // Before anything is written from the path or query (its audit entry): strings PostgreSQL cannot store are a 400.
    const refused = await refuseHostileInput(request, reply);
    if (refused) return refused;
    const actor = await this.authenticate(request);
    if (!actor) {
      if (request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')) {
        return reply.redirect(OPS_LOGIN_ROUTE, 303);
      }
      const { problem } = toProblem(AuthErrors.of(AuthErrorCode.OpsSignInRequired), String(request.id));
      return reply.status(401).type('application/problem+json').send(problem);
    }
    const action = opsWriteAction(request.method, request.routeOptions.url ?? request.url);
    if (!action) return undefined;
    const params = (request.params ?? {}) as Record<string, string>;
    // Bull Board's routes are outside Nest's middleware: the request's CLS (its id for the audit row) starts here.
    await this.cls.run(async () => {
      this.cls.set(CLS_ID, String(request.id));
      await this.session.run({ userId: actor.userId }, async () =>
        this.audit.record({
          action: action.action,
          targetType: action.targetType,
          targetId: params.jobId ?? params.schedulerId ?? params.queueName ?? null,
          tenantId: null,
          after: { method: request.method, path: request.url.split('?')[0], ...params },
        }),
      );
    });
    return undefined;
  }
}
