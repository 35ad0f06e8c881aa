import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Errors } from '../common/errors/app-error.js';
import { PlatformOrm } from './platform-orm.js';
import { TENANT_FILTER } from './tenant-filter.js';

export interface SessionScope {
  userId?: string | null;
  tenantId?: string | null;
  /**
   * The API key that authenticated the request: re-checked in the tenant (revoked → 401, tenant
   * suspended → 403) by the same statement that enters it, and its last use recorded when `touch`.
   */
  apiKey?: { id: string; touch: boolean } | null;
}

type Hook = () => Promise<unknown>;
type TransactionHook = (em: EntityManager) => Promise<unknown>;

interface TransactionHooks {
  beforeCommit: TransactionHook[];
  afterCommit: Hook[];
}

/**
 * The one way into the database for a request or a job: a forked EntityManager, one transaction,
 * and the RLS session variables set first (transaction-local, so a pooled connection never
 * carries them to its next user). Writes that belong to the transaction but are decided along the
 * way (the job outbox's rows) are registered with `beforeCommit`; anything that must only happen
 * once the transaction is durable, with `afterCommit`.
 */
@Injectable()
export class TenantSession {
  private readonly logger = new Logger(TenantSession.name);
  private readonly hooks = new AsyncLocalStorage<TransactionHooks>();

  constructor(
    private readonly orm: MikroORM,
    private readonly platform: PlatformOrm,
  ) {}

  /** A transaction as the API's request role (`DATABASE_URL`), in the scope's user and tenant. */
  run<T>(scope: SessionScope, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.transaction(this.orm, async (em) => {
      if (scope.apiKey && scope.tenantId) {
        const [{ status }] = await em.execute<{ status: string }[]>(
          `select set_config('app.user_id', '', true), api_key_enter(?, ?, ?, now()) as status`,
          [scope.tenantId, scope.apiKey.id, scope.apiKey.touch],
        );
        if (status === 'suspended') throw Errors.tenantSuspended();
        if (status !== 'ok') throw Errors.unauthenticated('This API key has been revoked');
      } else {
        await em.execute(`select set_config('app.user_id', ?, true), set_config('app.tenant_id', ?, true)`, [
          scope.userId ?? '',
          scope.tenantId ?? '',
        ]);
      }
      if (scope.tenantId) em.setFilterParams(TENANT_FILTER, { tenantId: scope.tenantId });
      return work(em);
    });
  }

  /**
   * The explicit cross-tenant path: a transaction of its own on the platform pool, as
   * `eshtarek_platform` (whose policies see every tenant), acting for `userId` (null for the
   * worker). It is never the request's transaction: the request role cannot become this role.
   * Callers disable the tenant filter per query; platform-admin reads go through `PlatformAccess`,
   * which records them.
   */
  runPlatform<T>(userId: string | null, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.transaction(this.platform.orm, async (em) => {
      await em.execute(`select set_config('app.user_id', ?, true), set_config('app.tenant_id', '', true)`, [userId ?? '']);
      return work(em);
    });
  }

  private async transaction<T>(orm: MikroORM, work: (em: EntityManager) => Promise<T>): Promise<T> {
    const hooks: TransactionHooks = { beforeCommit: [], afterCommit: [] };
    // Forked from this ORM's own root: a transaction already open in this async context (the
    // request's, when the platform path runs inside it) shares the context name and must not be picked up.
    const result = await this.hooks.run(hooks, () =>
      orm.em.fork({ disableContextResolution: true }).transactional(async (em) => {
        const value = await work(em);
        // Hooks may register more hooks (while the list is walked); each runs once, in order.
        for (let i = 0; i < hooks.beforeCommit.length; i++) await hooks.beforeCommit[i](em);
        return value;
      }),
    );
    for (const hook of hooks.afterCommit) {
      await hook().catch((error: Error) => this.logger.error({ err: error }, 'after-commit hook failed'));
    }
    return result;
  }

  /**
   * Runs `hook` in the current transaction once its work is done, just before it commits: its
   * writes commit or roll back with the rest (a failing hook rolls everything back).
   */
  beforeCommit(hook: TransactionHook): void {
    this.currentHooks('beforeCommit').beforeCommit.push(hook);
  }

  /** Runs `hook` after the current transaction commits (never if it rolls back). */
  afterCommit(hook: Hook): void {
    this.currentHooks('afterCommit').afterCommit.push(hook);
  }

  private currentHooks(what: string): TransactionHooks {
    const hooks = this.hooks.getStore();
    if (!hooks) throw new Error(`${what} outside of a TenantSession transaction`);
    return hooks;
  }

  /** Switches the open transaction to another tenant (e.g. right after creating one). */
  async enterTenant(em: EntityManager, tenantId: string): Promise<void> {
    await em.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    em.setFilterParams(TENANT_FILTER, { tenantId });
  }

  /**
   * Makes the open transaction act for a user who just proved who they are (registration, a
   * refresh token's owner): row-level security and the audit actor follow `app.user_id`.
   */
  async enterUser(em: EntityManager, userId: string): Promise<void> {
    await em.execute(`select set_config('app.user_id', ?, true)`, [userId]);
  }
}
