import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Errors } from '../common/errors/app-error.js';
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

/**
 * The one way into the database for a request or a job: a forked EntityManager, one transaction,
 * and the RLS session variables set first (transaction-local, so a pooled connection never
 * carries them to its next user). Work that must only happen once the transaction is durable
 * (enqueueing jobs) is registered with `afterCommit`.
 */
@Injectable()
export class TenantSession {
  private readonly logger = new Logger(TenantSession.name);
  private readonly hooks = new AsyncLocalStorage<Hook[]>();

  constructor(private readonly orm: MikroORM) {}

  async run<T>(scope: SessionScope, work: (em: EntityManager) => Promise<T>): Promise<T> {
    const hooks: Hook[] = [];
    const result = await this.hooks.run(hooks, () =>
      this.orm.em.fork().transactional(async (em) => {
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
      }),
    );
    for (const hook of hooks) {
      await hook().catch((error: Error) => this.logger.error({ err: error }, 'after-commit hook failed'));
    }
    return result;
  }

  /** Runs `hook` after the current transaction commits (never if it rolls back). */
  afterCommit(hook: Hook): void {
    const hooks = this.hooks.getStore();
    if (!hooks) throw new Error('afterCommit outside of a TenantSession transaction');
    hooks.push(hook);
  }

  /** Switches the open transaction to another tenant (e.g. right after creating one). */
  async enterTenant(em: EntityManager, tenantId: string): Promise<void> {
    await em.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    em.setFilterParams(TENANT_FILTER, { tenantId });
  }

  /**
   * The explicit cross-tenant path for platform-admin work: the rest of the transaction runs as
   * `eshtarek_platform`, whose policies see every tenant. Callers disable the tenant filter per
   * query and record the access in the audit log.
   */
  async enterPlatform(em: EntityManager): Promise<void> {
    await em.execute('set local role eshtarek_platform');
  }
}
