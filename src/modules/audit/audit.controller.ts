import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin, TenantAdmin } from '../../common/auth/access.js';
import { PageOf } from '../../common/http/pagination.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { PlatformAccess } from './platform-access.service.js';
import { AuditService } from './audit.service.js';
import { AdminAuditQuery, AuditLogDto, AuditQuery } from './dto/audit-log.dto.js';

@ApiTags('audit')
@Controller()
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly platform: PlatformAccess,
  ) {}

  @Get('v1/audit-logs')
  @TenantAdmin()
  @ApiOperation({ operationId: 'listAuditLogs', summary: 'Audit log of the current tenant, newest first' })
  @ApiOkResponse({ type: PageOf(AuditLogDto) })
  @ApiProblems(400)
  list(@Query() query: AuditQuery) {
    return this.audit.listForTenant(query);
  }

  @Get('v1/admin/audit-logs')
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminListAuditLogs', summary: 'Audit log of the whole platform, newest first' })
  @ApiOkResponse({ type: PageOf(AuditLogDto) })
  @ApiProblems(400)
  listAll(@Query() query: AdminAuditQuery) {
    return this.platform.run('audit-logs.read', query.tenantId ?? null, () => this.audit.listAll(query));
  }
}
