import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { PageOf } from '../../common/http/pagination.js';
import { AdminTenantsService } from './admin-tenants.service.js';
import { AdminTenantDto, AdminTenantQuery } from './dto/tenancy.dto.js';
import { NoBody, uuidParam } from '../../common/http/params.js';

@ApiTags('admin')
@Controller('v1/admin/tenants')
export class AdminTenantsController {
  constructor(private readonly tenants: AdminTenantsService) {}

  @Get()
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminListTenants', summary: 'Every tenant, newest first' })
  @ApiOkResponse({ type: PageOf(AdminTenantDto) })
  @ApiProblems(400)
  list(@Caller() caller: Caller, @Query() query: AdminTenantQuery) {
    return this.tenants.list(caller, query);
  }

  @Get(':id')
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminGetTenant', summary: 'One tenant' })
  @ApiOkResponse({ type: AdminTenantDto })
  @ApiProblems(400, 404)
  get(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string) {
    return this.tenants.get(caller, id);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminSuspendTenant', summary: 'Suspend a tenant: its members get 403 tenant_suspended' })
  @ApiOkResponse({ type: AdminTenantDto })
  @ApiProblems(400, 404, 409)
  suspend(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @NoBody() _body: void) {
    return this.tenants.setStatus(caller, id, 'suspended');
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminReactivateTenant', summary: 'Reactivate a suspended tenant' })
  @ApiOkResponse({ type: AdminTenantDto })
  @ApiProblems(400, 404, 409)
  reactivate(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @NoBody() _body: void) {
    return this.tenants.setStatus(caller, id, 'active');
  }
}
