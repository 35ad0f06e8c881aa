import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, PlatformAdmin } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { NoBody, uuidParam } from '../../common/http/params.js';
import { PageOf } from '../../common/http/pagination.js';
import { CreatePlanDto, PlanDto, PlanQuery, PlanVersionDto, PlanVersionQuery, UpdatePlanDto } from './dto/plan.dto.js';
import { PlansService } from './plans.service.js';

@ApiTags('catalog')
@Controller('v1/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @Access()
  @ApiOperation({ operationId: 'listPlans', summary: 'Plans with their current version (archived ones: platform admins only)' })
  @ApiOkResponse({ type: PageOf(PlanDto) })
  @ApiProblems(400)
  list(@Caller() caller: Caller, @Query() query: PlanQuery) {
    return this.plans.list(caller, query);
  }

  @Get(':id')
  @Access()
  @ApiOperation({ operationId: 'getPlan', summary: 'One plan with its current version' })
  @ApiOkResponse({ type: PlanDto })
  @ApiProblems(400, 404)
  get(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string) {
    return this.plans.get(caller, id);
  }

  @Get(':id/versions')
  @Access()
  @ApiOperation({ operationId: 'listPlanVersions', summary: 'Every published version of a plan, oldest first' })
  @ApiOkResponse({ type: PageOf(PlanVersionDto) })
  @ApiProblems(400, 404)
  versions(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @Query() query: PlanVersionQuery) {
    return this.plans.versions(caller, id, query);
  }

  @Post()
  @PlatformAdmin()
  @ApiOperation({ operationId: 'createPlan', summary: 'Create a plan and publish its version 1 (platform admin)' })
  @ApiCreatedResponse({ type: PlanDto })
  @ApiProblems(400, 409)
  create(@Caller() caller: Caller, @Body() dto: CreatePlanDto) {
    return this.plans.create(caller, dto);
  }

  @Patch(':id')
  @PlatformAdmin()
  @ApiOperation({
    operationId: 'updatePlan',
    summary: 'Edit a plan; a change of price, currency, interval, trial, duration or limits publishes a new version',
  })
  @ApiOkResponse({ type: PlanDto })
  @ApiProblems(400, 404)
  update(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @Body() dto: UpdatePlanDto) {
    return this.plans.update(caller, id, dto);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @PlatformAdmin()
  @ApiOperation({ operationId: 'archivePlan', summary: 'Archive a plan: no new subscriptions, existing ones continue' })
  @ApiOkResponse({ type: PlanDto })
  @ApiProblems(400, 404, 409)
  archive(@Caller() caller: Caller, @Param('id', uuidParam('id')) id: string, @NoBody() _body: void) {
    return this.plans.archive(caller, id);
  }
}
