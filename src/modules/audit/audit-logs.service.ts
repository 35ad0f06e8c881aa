import { Injectable } from '@nestjs/common';
import type { Caller, TenantCaller } from '../../common/auth/caller.js';
import { Page } from '../../common/http/pagination.js';
import { AuditRepository } from './audit.repository.js';
import { AdminAuditQuery, AuditLogDto, AuditQuery } from './dto/audit-log.dto.js';
import { PlatformAccess } from './platform-access.service.js';

/** Reads the audit log: a tenant's own, or the whole platform's through the audited platform path. */
@Injectable()
export class AuditLogsService {
  constructor(
    private readonly log: AuditRepository,
    private readonly platform: PlatformAccess,
  ) {}

  listForTenant(caller: TenantCaller, query: AuditQuery): Promise<Page<AuditLogDto>> {
    return this.log.tenantPage(caller.tenantId, query, AuditLogDto.from);
  }

  listAll(caller: Caller, query: AdminAuditQuery): Promise<Page<AuditLogDto>> {
    return this.platform.run(caller, 'audit-logs.read', query.tenantId ?? null, () =>
      this.log.platformPage(query, AuditLogDto.from),
    );
  }
}
