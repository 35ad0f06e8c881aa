import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Access, TenantAdmin, TenantMember } from '../../common/auth/access.js';
import { Caller, TenantCaller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { CreationRateLimit, RATE_LIMIT_HEADERS } from '../../common/throttling/creation-throttle.guard.js';
import { PageOf, PageQuery } from '../../common/http/pagination.js';
import {
  AddMemberDto,
  CreateTenantDto,
  InvitationDto,
  InviteResultDto,
  JoinedTenantDto,
  MemberDto,
  TenantDto,
  UpdateMemberDto,
  UpdateTenantDto,
} from './dto/tenancy.dto.js';
import { InvitationsService } from './invitations.service.js';
import { NoBody, uuidParam } from '../../common/http/params.js';
import { TenancyService } from './tenancy.service.js';

@ApiTags('tenancy')
@Controller('v1')
export class TenancyController {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly invitations: InvitationsService,
  ) {}

  @Post('tenants')
  @Access()
  @CreationRateLimit('tenants')
  @ApiOperation({ operationId: 'createTenant', summary: 'Create a tenant; the caller becomes its tenant_admin' })
  @ApiCreatedResponse({ type: TenantDto, headers: RATE_LIMIT_HEADERS })
  @ApiProblems(400)
  create(@Caller() caller: Caller, @Body() dto: CreateTenantDto) {
    return this.tenancy.create(caller, dto.name);
  }

  @Get('tenant')
  @TenantMember()
  @ApiOperation({ operationId: 'getTenant', summary: 'The current tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems(400, 404)
  current(@TenantCaller() caller: TenantCaller) {
    return this.tenancy.current(caller);
  }

  @Patch('tenant')
  @TenantAdmin()
  @ApiOperation({ operationId: 'renameTenant', summary: 'Rename the current tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems(400, 404)
  rename(@TenantCaller() caller: TenantCaller, @Body() dto: UpdateTenantDto) {
    return this.tenancy.rename(caller, dto.name);
  }

  @Get('members')
  @TenantMember()
  @ApiOperation({ operationId: 'listMembers', summary: 'Members of the current tenant' })
  @ApiOkResponse({ type: PageOf(MemberDto) })
  @ApiProblems(400)
  members(@TenantCaller() caller: TenantCaller, @Query() query: PageQuery) {
    return this.tenancy.listMembers(caller, query);
  }

  @Post('members')
  @HttpCode(202)
  @TenantAdmin()
  @CreationRateLimit('invitations')
  @ApiOperation({
    operationId: 'addMember',
    summary: 'Invite an email into the current tenant (it joins when the invitee accepts)',
    description:
      'The answer is the same whether or not the email has an account or is already a member. ' +
      'Inviting an email that has an open invitation renews it. Seats are counted when the invitation is accepted.',
  })
  @ApiAcceptedResponse({ type: InviteResultDto, headers: RATE_LIMIT_HEADERS })
  @ApiProblems(400)
  addMember(@TenantCaller() caller: TenantCaller, @Body() dto: AddMemberDto) {
    return this.invitations.invite(caller, dto.email, dto.role);
  }

  @Get('invitations')
  @TenantAdmin()
  @ApiOperation({ operationId: 'listInvitations', summary: "The current tenant's open invitations (pending, not expired)" })
  @ApiOkResponse({ type: PageOf(InvitationDto) })
  @ApiProblems(400)
  listInvitations(@TenantCaller() caller: TenantCaller, @Query() query: PageQuery) {
    return this.invitations.list(caller, query);
  }

  @Delete('invitations/:id')
  @HttpCode(204)
  @TenantAdmin()
  @ApiOperation({ operationId: 'revokeInvitation', summary: 'Revoke a pending invitation' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  revokeInvitation(@TenantCaller() caller: TenantCaller, @Param('id', uuidParam('id')) id: string) {
    return this.invitations.revoke(caller, id);
  }

  @Post('invitations/:id/accept')
  @HttpCode(200)
  @Access()
  @ApiOperation({
    operationId: 'acceptInvitation',
    summary: "Accept an invitation addressed to the caller's email and join the tenant",
    description:
      'Another email’s invitation is 404; an answered, revoked or expired one is 409 `invalid_transition`; ' +
      'a tenant whose plan has no seat left is 403 `limit_exceeded`.',
  })
  @ApiOkResponse({ type: JoinedTenantDto })
  @ApiProblems(400, 404, 409)
  acceptInvitation(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @NoBody() _body: void) {
    return this.invitations.accept(caller, id);
  }

  @Post('invitations/:id/decline')
  @HttpCode(204)
  @Access()
  @ApiOperation({ operationId: 'declineInvitation', summary: "Decline an invitation addressed to the caller's email" })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  declineInvitation(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @NoBody() _body: void) {
    return this.invitations.decline(caller, id);
  }

  @Patch('members/:userId')
  @TenantAdmin()
  @ApiOperation({ operationId: 'updateMember', summary: "Change a member's role; the last tenant_admin cannot be demoted" })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 404, 409)
  updateMember(
    @TenantCaller() caller: TenantCaller,
    @Param('userId', uuidParam('userId')) userId: string,
    @Body() dto: UpdateMemberDto,
  ) {
    return this.tenancy.changeRole(caller, userId, dto.role);
  }

  @Delete('members/:userId')
  @HttpCode(204)
  @TenantAdmin()
  @ApiOperation({ operationId: 'removeMember', summary: 'Remove a member; the last tenant_admin cannot be removed' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  removeMember(@TenantCaller() caller: TenantCaller, @Param('userId', uuidParam('userId')) userId: string) {
    return this.tenancy.removeMember(caller, userId);
  }
}
