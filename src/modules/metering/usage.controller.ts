import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { MeteringReader, MeteringWriter } from '../../common/auth/access.js';
import { TenantCaller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { SingleStatement } from '../../common/transaction/single-statement.js';
import { METRIC_KEY } from '../policies/metrics.rules.js';
import {
  EntitlementDto,
  EntitlementQuery,
  RecordUsageDto,
  UsageHistoryDto,
  UsageHistoryQuery,
  UsageRecordedDto,
  UsageSummaryDto,
} from './dto/usage.dto.js';
import { invalidUsage } from './metering.errors.js';
import { UsageHistoryService } from './usage-history.service.js';
import { UsageService } from './usage.service.js';

@ApiTags('metering')
@Controller('v1')
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly history: UsageHistoryService,
  ) {}

  @Post('usage')
  @MeteringWriter()
  @SingleStatement()
  @ApiOperation({
    operationId: 'recordUsage',
    summary:
      'Report usage (API key or tenant_admin): counted at once against the limit; over a hard limit 403 limit_exceeded and nothing counted',
    description:
      'Counters (`api_calls`, custom metrics) add `quantity` (default 1) to the current billing period. `storage_mb` is a level: ' +
      '`{"metric":"storage_mb","operation":"set","value":512}` replaces it (lowering is always accepted), `quantity` adds to it. ' +
      '`max_users` follows membership and is refused here. A soft limit counts on and answers with a `warning`. ' +
      'With the same `Idempotency-Key` (or body `idempotencyKey`, unique per tenant) a retry answers as the first report ' +
      '(header `Idempotent-Replayed: true`) and counts nothing; the same key with another report is 409 `idempotency_key_reused`.',
  })
  @ApiCreatedResponse({ type: UsageRecordedDto })
  @ApiProblems(400, 404, 409)
  async record(
    @TenantCaller() caller: TenantCaller,
    @Body() dto: RecordUsageDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UsageRecordedDto> {
    const result = await this.usage.record(caller, dto, idempotencyKey);
    if (result.replayed) void reply.header('Idempotent-Replayed', 'true');
    return result.body;
  }

  @Get('usage')
  @MeteringReader()
  @SingleStatement()
  @ApiOperation({
    operationId: 'getUsage',
    summary: 'Use of every metric in the current billing period, against the plan limits',
  })
  @ApiOkResponse({ type: UsageSummaryDto })
  @ApiProblems(404)
  summary(@TenantCaller() caller: TenantCaller) {
    return this.usage.summary(caller);
  }

  @Get('usage/history')
  @MeteringReader()
  @ApiOperation({
    operationId: 'getUsageHistory',
    summary: 'Usage of a counter metric in hour or day buckets between from and to',
  })
  @ApiOkResponse({ type: UsageHistoryDto })
  @ApiProblems(400)
  usageHistory(@TenantCaller() caller: TenantCaller, @Query() query: UsageHistoryQuery) {
    return this.history.history(caller, query);
  }

  @Get('entitlements/:metric')
  @MeteringReader()
  @SingleStatement()
  @ApiOperation({
    operationId: 'getEntitlement',
    summary: 'May I? Use, limit and whether `quantity` more (default 1) would be accepted now',
  })
  @ApiParam({ name: 'metric', example: 'api_calls', schema: { type: 'string', pattern: METRIC_KEY.source } })
  @ApiOkResponse({ type: EntitlementDto })
  @ApiProblems(400, 404)
  entitlement(@TenantCaller() caller: TenantCaller, @Param('metric') metric: string, @Query() query: EntitlementQuery) {
    if (!METRIC_KEY.test(metric))
      throw invalidUsage([{ field: 'metric', message: 'metric must be lowercase letters, digits and underscores' }]);
    return this.usage.entitlement(caller, metric, query.quantity);
  }
}
