import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { ACCESS_TOKEN_TYPE, AccessTokenClaims } from '../../common/auth/jwt.strategy.js';
import { AuditService } from '../audit/audit.service.js';
import { TENANT_FILTER } from '../../database/tenant-filter.js';
import { newId } from '../../database/ids.js';
import { TenantSession } from '../../database/tenant-session.js';
import { Membership, Tenant } from '../tenancy/tenant.entity.js';
import { AuthErrors } from './auth.errors.js';
import { Errors } from '../../common/errors/app-error.js';
import { AuthResultDto, ChangePasswordDto, LoginDto, MeDto, RegisterDto, TokensDto, UserDto } from './dto/auth.dto.js';
import { LoginThrottle } from './login-throttle.service.js';
import { PasswordHasher } from './password-hasher.js';
import { CredentialsRepository } from './credentials.repository.js';
import { User } from './user.entity.js';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A refresh token (opaque, 256 bits), its row id and the hash that is all the database keeps. */
const newRefreshToken = () => {
  const token = `rt_${randomBytes(32).toString('base64url')}`;
  return { id: newId(), token, hash: hashToken(token) };
};

export const toUserDto = (user: Pick<User, 'id' | 'email' | 'name' | 'isPlatformAdmin'>): UserDto => ({
  id: user.id,
  email: user.email,
  name: user.name,
  isPlatformAdmin: user.isPlatformAdmin,
});

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly context: RequestContext,
    private readonly credentials: CredentialsRepository,
    private readonly session: TenantSession,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResultDto> {
    const now = this.clock.realNow();
    const user = { id: newId(), email: dto.email, name: dto.name.trim(), isPlatformAdmin: false };
    try {
      await this.credentials.createUser({ ...user, passwordHash: await this.hasher.hash(dto.password), now });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw AuthErrors.emailTaken();
      throw error;
    }
    // The new account is the actor of its own registration (the database takes it from the session).
    await this.session.enterUser(this.em, user.id);
    this.audit.record({ action: 'user.registered', targetType: 'user', targetId: user.id, after: toUserDto(user) });
    return { user: toUserDto(user), ...(await this.startSession(user.id)) };
  }

  async login(dto: LoginDto): Promise<AuthResultDto> {
    await this.throttle.assertAllowed(dto.email);
    const user = await this.credentials.byEmail(dto.email);
    const ok = user ? await this.hasher.verify(user.passwordHash, dto.password) : await this.hasher.verifyDecoy(dto.password);
    if (!user || !ok) {
      await this.throttle.recordFailure(dto.email);
      throw AuthErrors.badCredentials();
    }
    await this.throttle.reset(dto.email);
    return { user: toUserDto(user), ...(await this.startSession(user.id)) };
  }

  /**
   * Rotates a refresh token. A token already spent means it leaked (or was replayed): the whole
   * session is revoked, so the thief's and the owner's tokens both stop working.
   */
  async refresh(refreshToken: string): Promise<TokensDto> {
    const now = this.clock.realNow();
    const next = newRefreshToken();
    const result = await this.credentials.refresh(hashToken(refreshToken), next, now);
    if (result.outcome === 'invalid') throw AuthErrors.invalidRefreshToken();
    if (result.outcome === 'reused') {
      // Reuse means the token leaked: the database ended the session; keep that even though we answer 401.
      await this.session.enterUser(this.em, result.userId);
      this.audit.record({
        action: 'session.revoked',
        targetType: 'session',
        targetId: result.sessionId,
        tenantId: null,
        after: { reason: 'refresh_token_reused' },
      });
      throw AuthErrors.invalidRefreshToken().keepingWork();
    }
    return this.issueTokens(result.userId, result.sessionId, next.token);
  }

  async logout(): Promise<void> {
    const actor = this.context.actor;
    await this.credentials.endSession(actor.sessionId, actor.userId, this.clock.realNow(), 'logout');
    this.audit.record({ action: 'session.logged_out', targetType: 'session', targetId: actor.sessionId, tenantId: null });
  }

  async changePassword(dto: ChangePasswordDto): Promise<void> {
    const actor = this.context.actor;
    const user = await this.credentials.byUserId(actor.userId);
    if (!user || !(await this.hasher.verify(user.passwordHash, dto.currentPassword))) throw AuthErrors.wrongCurrentPassword();
    const changed = await this.credentials.changePassword(
      actor.userId,
      actor.sessionId,
      await this.hasher.hash(dto.newPassword),
      this.clock.realNow(),
    );
    if (!changed) throw Errors.unauthenticated('Session expired or revoked');
    this.audit.record({ action: 'user.password_changed', targetType: 'user', targetId: user.id, tenantId: null });
  }

  async me(): Promise<MeDto> {
    const actor = this.context.actor;
    const user = await this.em.findOneOrFail(User, actor.userId);
    // The caller's own memberships across tenants: RLS shows them through app.user_id.
    const memberships = await this.em.find(
      Membership,
      { user: actor.userId },
      { filters: { [TENANT_FILTER]: false }, orderBy: { createdAt: 'asc' } },
    );
    const tenants = await this.em.find(Tenant, { id: memberships.map((m) => m.tenantId) });
    const names = new Map(tenants.map((t) => [t.id, t.name]));
    return {
      user: toUserDto(user),
      memberships: memberships.map((m) => ({ tenantId: m.tenantId, tenantName: names.get(m.tenantId) ?? '', role: m.role })),
    };
  }

  private async startSession(userId: string): Promise<TokensDto> {
    const now = this.clock.realNow();
    const sessionId = newId();
    const first = newRefreshToken();
    await this.credentials.startSession({
      id: sessionId,
      userId,
      now,
      expiresAt: new Date(now.getTime() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000),
      tokenId: first.id,
      tokenHash: first.hash,
    });
    return this.issueTokens(userId, sessionId, first.token);
  }

  private async issueTokens(userId: string, sessionId: string, refreshToken: string): Promise<TokensDto> {
    const claims: AccessTokenClaims = { sub: userId, sid: sessionId, typ: ACCESS_TOKEN_TYPE };
    const accessToken = await this.jwt.signAsync(claims, {
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
      algorithm: 'HS256',
    });
    return { accessToken, refreshToken, expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS };
  }
}
