import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from './audit.service.js';

/**
 * The named, audited door to cross-tenant data for platform admins: switches the request's
 * transaction to the `eshtarek_platform` role and writes who looked at what. Queries after it
 * must disable the tenant filter explicitly.
 */
@Injectable()
export class PlatformAccess {
  constructor(
    private readonly em: EntityManager,
    private readonly session: TenantSession,
    private readonly audit: AuditService,
  ) {}

  /**
   * `tenantId` names the tenant looked at, if any: the entry then belongs to that tenant (its admins
   * see the platform's visit in their own log). A tenant id that names no tenant (e.g. a filter
   * value) is kept as the target only, since `audit_logs.tenant_id` references `tenants`.
   */
  async enter(purpose: string, tenantId: string | null): Promise<void> {
    await this.session.enterPlatform(this.em);
    const owner = tenantId && (await this.tenantExists(tenantId)) ? tenantId : null;
    this.audit.record({ action: `platform.${purpose}`, targetType: 'tenant', targetId: tenantId, tenantId: owner });
  }

  private async tenantExists(tenantId: string): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>('select id from tenants where id = ?', [tenantId]);
    return rows.length > 0;
  }
}
