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

  async enter(purpose: string, tenantId: string | null): Promise<void> {
    await this.session.enterPlatform(this.em);
    this.audit.record({ action: `platform.${purpose}`, targetType: 'tenant', targetId: tenantId, tenantId });
  }
}
