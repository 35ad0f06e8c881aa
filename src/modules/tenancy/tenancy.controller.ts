import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, TenantAdmin, TenantMember } from '../../common/auth/access.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { PageOf, PageQuery } from '../../common/http/pagination.js';
import { AddMemberDto, CreateTenantDto, MemberDto, TenantDto, UpdateMemberDto, UpdateTenantDto } from './dto/tenancy.dto.js';
import { uuidParam } from '../../common/http/params.js';
import { TenancyService } from './tenancy.service.js';

@ApiTags('tenancy')
@Controller('v1')
export class TenancyController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post('tenants')
  @Access()
  @ApiOperation({ operationId: 'createTenant', summary: 'Create a tenant; the caller becomes its tenant_admin' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiProblems(400)
  create(@Body() dto: CreateTenantDto) {
    return this.tenancy.create(dto.name);
  }

  @Get('tenant')
  @TenantMember()
  @ApiOperation({ operationId: 'getTenant', summary: 'The current tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems(400, 404)
  current() {
    return this.tenancy.current();
  }

  @Patch('tenant')
  @TenantAdmin()
  @ApiOperation({ operationId: 'renameTenant', summary: 'Rename the current tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems(400, 404)
  rename(@Body() dto: UpdateTenantDto) {
    return this.tenancy.rename(dto.name);
  }

  @Get('members')
  @TenantMember()
  @ApiOperation({ operationId: 'listMembers', summary: 'Members of the current tenant' })
  @ApiOkResponse({ type: PageOf(MemberDto) })
  @ApiProblems(400)
  members(@Query() query: PageQuery) {
    return this.tenancy.listMembers(query);
  }

  @Post('members')
  @TenantAdmin()
  @ApiOperation({ operationId: 'addMember', summary: 'Add an existing user to the current tenant' })
  @ApiCreatedResponse({ type: MemberDto })
  @ApiProblems(400, 404, 409)
  addMember(@Body() dto: AddMemberDto) {
    return this.tenancy.addMember(dto.email, dto.role);
  }

  @Patch('members/:userId')
  @TenantAdmin()
  @ApiOperation({ operationId: 'updateMember', summary: "Change a member's role; the last tenant_admin cannot be demoted" })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 404, 409)
  updateMember(@Param('userId', uuidParam('userId')) userId: string, @Body() dto: UpdateMemberDto) {
    return this.tenancy.changeRole(userId, dto.role);
  }

  @Delete('members/:userId')
  @HttpCode(204)
  @TenantAdmin()
  @ApiOperation({ operationId: 'removeMember', summary: 'Remove a member; the last tenant_admin cannot be removed' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  removeMember(@Param('userId', uuidParam('userId')) userId: string) {
    return this.tenancy.removeMember(userId);
  }
}
