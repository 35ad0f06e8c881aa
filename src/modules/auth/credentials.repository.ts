import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { CredentialSeal, sealMessages } from '../../database/credential-seal.js';
import { TenantSession } from '../../database/tenant-session.js';

export interface UserCredentials {
  id: string;
  email: string;
  name: string;
  isPlatformAdmin: boolean;
  passwordHash: string;
}

export type RefreshOutcome =
  { outcome: 'rotated' | 'reused'; sessionId: string; userId: string } | { outcome: 'invalid'; sessionId: null; userId: null };

interface CredentialsRow {
  user_id: string;
  email: string;
  name: string;
  is_platform_admin: boolean;
  password_hash: string;
}

const toCredentials = (r: CredentialsRow): UserCredentials => ({
  id: r.user_id,
  email: r.email,
  name: r.name,
  isPlatformAdmin: r.is_platform_admin,
  passwordHash: r.password_hash,
});

/**
 * Sessions, refresh tokens and password hashes, reached only through the database's narrow
 * `auth_*` functions (migration LeastPrivilege): the API's role has no privilege on those tables
 * or on `users.password_hash`, so nothing here can list them. Runs in the caller's transaction.
 */
@Injectable()
export class CredentialsRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly seal: CredentialSeal,
    private readonly session: TenantSession,
  ) {}

  /**
   * Makes the open transaction act for a user who just proved who they are (registration, a
   * refresh token's owner, an ops sign-in): row-level security and the audit actor follow it.
   */
  actAs(userId: string): Promise<void> {
    return this.session.enterUser(this.em, userId);
  }

  /**
   * Deletes ended sessions (expired, or revoked before `revokedBefore`) with their refresh tokens.
   * The worker's housekeeping, on the platform path: its own transaction, through the definer function.
   */
  async purgeEndedSessions(now: Date, revokedBefore: Date): Promise<number> {
    const [row] = await this.session.runPlatform(null, (em) =>
      em.execute<{ purged: string }[]>('select sessions_purge(?, ?) as purged', [now, revokedBefore]),
    );
    return Number(row.purged);
  }

  /** One account by its exact email (case-insensitive), with its hash to verify. */
  async byEmail(email: string): Promise<UserCredentials | null> {
    const [row] = await this.em.execute<CredentialsRow[]>('select * from auth_password_hash(?, ?)', [
      email,
      this.seal.seal(sealMessages.passwordHash(email)),
    ]);
    return row ? toCredentials(row) : null;
  }

  /** The signed-in user's own account, with its hash to verify. */
  async byUserId(userId: string): Promise<UserCredentials | null> {
    const [user] = await this.em.execute<{ email: string }[]>('select email from users where id = ?', [userId]);
    return user ? this.byEmail(user.email) : null;
  }

  /** A new account; `is_platform_admin` keeps its default (the API's role cannot write it). */
  async createUser(user: { id: string; email: string; name: string; passwordHash: string; now: Date }): Promise<void> {
    await this.em.execute(
      `insert into users (id, email, name, password_hash, created_at, updated_at) values (?, ?, ?, ?, ?, ?)`,
      [user.id, user.email, user.name, user.passwordHash, user.now, user.now],
    );
  }

  async startSession(session: {
    id: string;
    userId: string;
    now: Date;
    expiresAt: Date;
    /** The first refresh token; none for a session that cannot be refreshed (the ops dashboard's). */
    tokenId?: string;
    tokenHash?: string;
  }): Promise<void> {
    await this.em.execute('select auth_start_session(?, ?, ?, ?, ?, ?, ?)', [
      session.id,
      session.userId,
      session.now,
      session.expiresAt,
      session.tokenId ?? null,
      session.tokenHash ?? null,
      this.seal.seal(sealMessages.startSession(session.userId, session.id)),
    ]);
  }

  /** Spends a refresh token and stores its successor; a spent one revokes its session ('reused'). */
  async refresh(tokenHash: string, next: { id: string; hash: string }, now: Date): Promise<RefreshOutcome> {
    const [row] = await this.em.execute<{ outcome: RefreshOutcome['outcome']; session_id: string; user_id: string }[]>(
      'select outcome, session_id, user_id from auth_refresh(?, ?, ?, ?)',
      [tokenHash, next.id, next.hash, now],
    );
    return { outcome: row.outcome, sessionId: row.session_id, userId: row.user_id } as RefreshOutcome;
  }

  async endSession(sessionId: string, userId: string, now: Date, reason: string): Promise<void> {
    await this.em.execute('select auth_end_session(?, ?, ?, ?)', [sessionId, userId, now, reason]);
  }

  /** Whether the session is live and its user a platform admin (the ops dashboard's check, on every request). */
  async isPlatformAdminSession(sessionId: string, userId: string, now: Date): Promise<boolean> {
    const rows = await this.em.execute(
      'select 1 from auth_session_caller(?, ?, ?) c where c.is_platform_admin and c.session_active',
      [sessionId, userId, now],
    );
    return rows.length === 1;
  }

  /** Sets a new hash from a live session of that user and ends the user's other sessions. */
  async changePassword(userId: string, sessionId: string, passwordHash: string, now: Date): Promise<boolean> {
    const [row] = await this.em.execute<{ changed: boolean }[]>('select auth_change_password(?, ?, ?, ?, ?) as changed', [
      userId,
      sessionId,
      passwordHash,
      now,
      this.seal.seal(sealMessages.changePassword(userId, sessionId)),
    ]);
    return row.changed;
  }
}
