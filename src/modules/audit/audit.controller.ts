import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin, TenantAdmin } from '../../common/auth/access.js';
import { Caller, TenantCaller } from '../../common/auth/caller.js';
import { PageOf } from '../../common/http/pagination.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { AuditLogsService } from './audit-logs.service.js';
import { AdminAuditQuery, AuditLogDto, AuditQuery } from './dto/audit-log.dto.js';

@ApiTags('audit')
@Controller()
export class AuditController {
  constructor(private readonly logs: AuditLogsService) {}

  @Get('v1/audit-logs')
  @TenantAdmin()
  @ApiOperation({ operationId: 'listAuditLogs', summary: 'Audit log of the current tenant, newest first' })
  @ApiOkResponse({ type: PageOf(AuditLogDto) })
  @ApiProblems(400)
  list(@TenantCaller() caller: TenantCaller, @Query() query: AuditQuery) {
    return this.logs.listForTenant(caller, query);
  }

  @Get('v1/admin/audit-logs')
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminListAuditLogs', summary: 'Audit log of the whole platform, newest first' })
  @ApiOkResponse({ type: PageOf(AuditLogDto) })
  @ApiProblems(400)
  listAll(@Caller() caller: Caller, @Query() query: AdminAuditQuery) {
    return this.logs.listAll(caller, query);
  }
}
