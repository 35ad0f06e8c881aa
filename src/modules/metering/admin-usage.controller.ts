import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { AdminUsageDto, AdminUsageQuery } from './dto/usage.dto.js';
import { UsageHistoryService } from './usage-history.service.js';

@ApiTags('admin')
@Controller('v1/admin/usage')
export class AdminUsageController {
  constructor(private readonly history: UsageHistoryService) {}

  @Get()
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminGetUsage', summary: 'Usage totals per metric across tenants in a time range (audited)' })
  @ApiOkResponse({ type: AdminUsageDto })
  @ApiProblems(400)
  totals(@Caller() caller: Caller, @Query() query: AdminUsageQuery) {
    return this.history.platformTotals(caller, query);
  }
}
