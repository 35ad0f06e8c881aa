import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, PlatformAdmin } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { uuidParam } from '../../common/http/params.js';
import { PageOf } from '../../common/http/pagination.js';
import { CreatePolicyDto, PolicyDto, PolicyQuery, UpdatePolicyDto } from './dto/policy.dto.js';
import { PoliciesService } from './policies.service.js';

@ApiTags('catalog')
@Controller('v1/policies')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Get()
  @Access()
  @ApiOperation({ operationId: 'listPolicies', summary: 'Limit policies of the catalog' })
  @ApiOkResponse({ type: PageOf(PolicyDto) })
  @ApiProblems(400)
  list(@Query() query: PolicyQuery) {
    return this.policies.list(query);
  }

  @Get(':id')
  @Access()
  @ApiOperation({ operationId: 'getPolicy', summary: 'One limit policy' })
  @ApiOkResponse({ type: PolicyDto })
  @ApiProblems(400, 404)
  get(@Param('id', uuidParam('id')) id: string) {
    return this.policies.get(id);
  }

  @Post()
  @PlatformAdmin()
  @ApiOperation({ operationId: 'createPolicy', summary: 'Create a limit policy (platform admin)' })
  @ApiCreatedResponse({ type: PolicyDto })
  @ApiProblems(400)
  create(@Caller() caller: Caller, @Body() dto: CreatePolicyDto) {
    return this.policies.create(caller, dto);
  }

  @Patch(':id')
  @PlatformAdmin()
  @ApiOperation({
    operationId: 'updatePolicy',
    summary: 'Edit a limit policy (platform admin); plans pick the change up when they publish their next version',
  })
  @ApiOkResponse({ type: PolicyDto })
  @ApiProblems(400, 404)
  update(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @Body() dto: UpdatePolicyDto) {
    return this.policies.update(caller, id, dto);
  }
}
