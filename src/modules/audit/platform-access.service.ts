import { Injectable } from '@nestjs/common';
import { type Caller, callerFrom } from '../../common/auth/caller.js';
import { RequestContext } from '../../common/context/request-context.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

/**
 * The named, audited door to cross-tenant data for platform admins: the work runs in a
 * transaction of its own on the platform pool (`eshtarek_platform`, the only role whose policies
 * see every tenant; the request's own role cannot switch to it), together with an audit entry
 * naming who looked at what. Inside the work, repositories use that transaction (it is the
 * innermost one); queries must disable the tenant filter explicitly.
 */
@Injectable()
export class PlatformAccess {
  constructor(
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly audit: AuditService,
    private readonly log: AuditRepository,
  ) {}

  /**
   * `tenantId` names the tenant looked at, if any: the entry then belongs to that tenant (its admins
   * see the platform's visit in their own log). A tenant id that names no tenant (e.g. a filter
   * value) is kept as the target only, since `audit_logs.tenant_id` references `tenants`.
   * The entry commits or rolls back with the work.
   */
  run<T>(caller: Caller, purpose: string, tenantId: string | null, work: () => Promise<T>, after?: object): Promise<T> {
    return this.session.runPlatform(caller.actor?.userId ?? null, async () => {
      const owner = tenantId && (await this.log.tenantExists(tenantId)) ? tenantId : null;
      this.audit.record({ action: `platform.${purpose}`, targetType: 'tenant', targetId: tenantId, tenantId: owner, after });
      return work();
    });
  }

  /**
   * Platform-wide writes (the catalog: policies, plans and their versions), which only the
   * platform role may make. No `platform.*` entry here: the work records its own (`plan.created`…).
   */
  write<T>(caller: Caller, work: () => Promise<T>): Promise<T> {
    return this.session.runPlatform(caller.actor?.userId ?? null, work);
  }

  /**
   * Records a platform admin acting inside a tenant they are not a member of (`platform.tenant.access`);
   * called by the unit of work before the route runs, so the caller comes from the request context.
   */
  recordTenantAccess(tenantId: string, after: object): Promise<void> {
    return this.run(callerFrom(this.context), 'tenant.access', tenantId, async () => undefined, after);
  }
}
