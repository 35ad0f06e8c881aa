import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { ACCESS_TOKEN_TYPE, AccessTokenClaims } from '../../common/auth/jwt.strategy.js';
import { TenantSession } from '../../database/tenant-session.js';
import { PasswordHasher } from './password-hasher.js';

const BASIC_CACHE_MS = 5 * 60_000;

/**
 * Authenticates browser and API access to the ops dashboards (Bull Board), which live outside
 * the Nest routes: a platform admin's access token (Bearer) or their email and password (HTTP
 * Basic, so a browser can open the page). Verified Basic credentials are cached briefly by hash.
 */
@Injectable()
export class OpsDashboardAuth {
  private readonly basicCache = new Map<string, number>();

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly session: TenantSession,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async isPlatformAdmin(authorization: string | undefined): Promise<boolean> {
    if (!authorization) return false;
    const [scheme, value] = authorization.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value) return this.bearer(value);
    if (scheme?.toLowerCase() === 'basic' && value) return this.basic(value);
    return false;
  }

  private async bearer(token: string): Promise<boolean> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, {
        algorithms: ['HS256'],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      return false;
    }
    if (claims.typ !== ACCESS_TOKEN_TYPE) return false;
    const rows = await this.session.run({}, (em) =>
      em.execute('select 1 from auth_session_caller(?, ?, ?) c where c.is_platform_admin and c.session_active', [
        claims.sid,
        claims.sub,
        this.clock.realNow(),
      ]),
    );
    return rows.length === 1;
  }

  private async basic(encoded: string): Promise<boolean> {
    const key = createHash('sha256').update(encoded).digest('hex');
    const now = this.clock.realNow().getTime();
    if ((this.basicCache.get(key) ?? 0) > now) return true;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const email = decoded.slice(0, colon).trim().toLowerCase();
    const password = decoded.slice(colon + 1);
    const rows = await this.session.run({}, (em) =>
      em.execute<{ password_hash: string }[]>('select password_hash from auth_password_hash(?) where is_platform_admin', [email]),
    );
    const ok = rows.length === 1 && (await this.hasher.verify(rows[0].password_hash, password));
    if (ok) this.basicCache.set(key, now + BASIC_CACHE_MS);
    return ok;
  }
}
