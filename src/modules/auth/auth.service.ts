import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Caller } from '../../common/auth/caller.js';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { ACCESS_TOKEN_TYPE, AccessTokenClaims } from '../../common/auth/jwt.strategy.js';
import { AuditService } from '../audit/audit.service.js';
import { newId } from '../../database/ids.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';
import { AuthResultDto, ChangePasswordDto, LoginDto, RegisterDto, TokensDto, UserDto } from './dto/auth.dto.js';
import { LoginThrottle } from './login-throttle.service.js';
import { PasswordHasher } from './password-hasher.js';
import { CredentialsRepository } from './credentials.repository.js';
import { type PasswordOwner, passwordWeakness } from './password-policy.rules.js';
import { signedIn } from './signed-in.rules.js';
import type { User } from './user.entity.js';
import { UserRepository } from './user.repository.js';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A refresh token (opaque, 256 bits), its row id and the hash that is all the database keeps. */
const newRefreshToken = () => {
  const token = `rt_${randomBytes(32).toString('base64url')}`;
  return { id: newId(), token, hash: hashToken(token) };
};

function assertStrongPassword(field: 'password' | 'newPassword', password: string, owner: PasswordOwner): void {
  const weakness = passwordWeakness(password, owner);
  if (weakness)
    throw AuthErrors.of(AuthErrorCode.WeakPassword, {
      detail: `${field} ${weakness}`,
      errors: [{ field, message: `${field} ${weakness}` }],
    });
}

export const toUserDto = (user: Pick<User, 'id' | 'email' | 'name' | 'isPlatformAdmin'>): UserDto => ({
  id: user.id,
  email: user.email,
  name: user.name,
  isPlatformAdmin: user.isPlatformAdmin,
});

@Injectable()
export class AuthService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly credentials: CredentialsRepository,
    private readonly users: UserRepository,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResultDto> {
    assertStrongPassword('password', dto.password, { email: dto.email, name: dto.name });
    const now = this.clock.realNow();
    const user = { id: newId(), email: dto.email, name: dto.name.trim(), isPlatformAdmin: false };
    try {
      await this.credentials.createUser({ ...user, passwordHash: await this.hasher.hash(dto.password), now });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw AuthErrors.of(AuthErrorCode.EmailTaken);
      throw error;
    }
    // The new account is the actor of its own registration (the database takes it from the session).
    await this.credentials.actAs(user.id);
    this.audit.record({ action: 'user.registered', targetType: 'user', targetId: user.id, after: toUserDto(user) });
    return { user: toUserDto(user), ...(await this.startSession(user.id)) };
  }

  async login(dto: LoginDto): Promise<AuthResultDto> {
    const user = await this.verifyCredentials(dto.email, dto.password);
    return { user: toUserDto(user), ...(await this.startSession(user.id)) };
  }

  /**
   * The one password check of every sign-in (the API's and the ops dashboard's): the attempt is
   * counted per account before the password is checked, and an unknown email costs the same
   * time as a wrong password (decoy hash), so neither guessing nor timing tells accounts apart.
   */
  async verifyCredentials(email: string, password: string): Promise<UserDto> {
    await this.throttle.attempt(email);
    const user = await this.credentials.byEmail(email);
    const ok = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyDecoy(password);
    if (!user || !ok) throw AuthErrors.of(AuthErrorCode.BadCredentials);
    await this.throttle.succeeded(email);
    return toUserDto(user);
  }

  /**
   * Rotates a refresh token. A token already spent means it leaked (or was replayed): the whole
   * session is revoked, so the thief's and the owner's tokens both stop working.
   */
  async refresh(refreshToken: string): Promise<TokensDto> {
    const now = this.clock.realNow();
    const next = newRefreshToken();
    const result = await this.credentials.refresh(hashToken(refreshToken), next, now);
    if (result.outcome === 'invalid') throw AuthErrors.of(AuthErrorCode.InvalidRefreshToken);
    if (result.outcome === 'reused') {
      // Reuse means the token leaked: the database ended the session; keep that even though we answer 401.
      await this.credentials.actAs(result.userId);
      this.audit.record({
        action: 'session.revoked',
        targetType: 'session',
        targetId: result.sessionId,
        tenantId: null,
        after: { reason: 'refresh_token_reused' },
      });
      throw AuthErrors.of(AuthErrorCode.InvalidRefreshToken).keepingWork();
    }
    return this.issueTokens(result.userId, result.sessionId, next.token);
  }

  async logout(caller: Caller): Promise<void> {
    const actor = signedIn(caller);
    await this.credentials.endSession(actor.sessionId, actor.userId, this.clock.realNow(), 'logout');
    this.audit.record({ action: 'session.logged_out', targetType: 'session', targetId: actor.sessionId, tenantId: null });
  }

  async changePassword(caller: Caller, dto: ChangePasswordDto): Promise<void> {
    const actor = signedIn(caller);
    const user = await this.credentials.byUserId(actor.userId);
    if (!user) throw AuthErrors.of(AuthErrorCode.SessionRevoked);
    // The current password is guessed against the same per-account counter as a sign-in.
    await this.throttle.attempt(user.email);
    if (!(await this.hasher.verify(user.passwordHash, dto.currentPassword)))
      throw AuthErrors.of(AuthErrorCode.WrongCurrentPassword, {
        errors: [{ field: 'currentPassword', message: 'does not match' }],
      });
    await this.throttle.succeeded(user.email);
    assertStrongPassword('newPassword', dto.newPassword, user);
    const changed = await this.credentials.changePassword(
      actor.userId,
      actor.sessionId,
      await this.hasher.hash(dto.newPassword),
      this.clock.realNow(),
    );
    if (!changed) throw AuthErrors.of(AuthErrorCode.SessionRevoked);
    this.audit.record({ action: 'user.password_changed', targetType: 'user', targetId: user.id, tenantId: null });
  }

  /** The signed-in caller's account. */
  async account(caller: Caller): Promise<UserDto> {
    return toUserDto(await this.users.get(signedIn(caller).userId));
  }

  /**
   * A short session for the ops dashboard's cookie (no refresh token): a row of `sessions` like
   * any sign-in, so sign-out and a password change revoke it at once.
   */
  async startOpsSession(userId: string, ttlSeconds: number): Promise<string> {
    const now = this.clock.realNow();
    const sessionId = newId();
    await this.credentials.startSession({ id: sessionId, userId, now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) });
    // The admin is the actor of their own sign-in (the database takes it from the session).
    await this.credentials.actAs(userId);
    this.audit.record({ action: 'session.ops_signed_in', targetType: 'session', targetId: sessionId, tenantId: null });
    return sessionId;
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
