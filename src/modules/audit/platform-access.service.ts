import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '../../common/context/request-context.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from './audit.service.js';

/**
 * The named, audited door to cross-tenant data for platform admins: the work runs in a
 * transaction of its own on the platform pool (`eshtarek_platform`, the only role whose policies
 * see every tenant; the request's own role cannot switch to it), together with an audit entry
 * naming who looked at what. Queries inside must disable the tenant filter explicitly.
 */
@Injectable()
export class PlatformAccess {
  constructor(
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly audit: AuditService,
  ) {}

  /**
   * `tenantId` names the tenant looked at, if any: the entry then belongs to that tenant (its admins
   * see the platform's visit in their own log). A tenant id that names no tenant (e.g. a filter
   * value) is kept as the target only, since `audit_logs.tenant_id` references `tenants`.
   * The entry commits or rolls back with the work.
   */
  run<T>(purpose: string, tenantId: string | null, work: (em: EntityManager) => Promise<T>, after?: object): Promise<T> {
    return this.session.runPlatform(this.context.actorOrNull?.userId ?? null, async (em) => {
      const owner = tenantId && (await this.tenantExists(em, tenantId)) ? tenantId : null;
      this.audit.record({ action: `platform.${purpose}`, targetType: 'tenant', targetId: tenantId, tenantId: owner, after });
      return work(em);
    });
  }

  /**
   * Platform-wide writes (the catalog: policies, plans and their versions), which only the
   * platform role may make. No `platform.*` entry here: the work records its own (`plan.created`…).
   */
  write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.session.runPlatform(this.context.actorOrNull?.userId ?? null, work);
  }

  /** Records a platform admin acting inside a tenant they are not a member of (`platform.tenant.access`). */
  recordTenantAccess(tenantId: string, after: object): Promise<void> {
    return this.run('tenant.access', tenantId, async () => undefined, after);
  }

  private async tenantExists(em: EntityManager, tenantId: string): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>('select id from tenants where id = ?', [tenantId]);
    return rows.length > 0;
  }
}
