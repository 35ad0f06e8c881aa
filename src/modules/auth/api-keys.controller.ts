import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAdmin, TenantMember } from '../../common/auth/access.js';
import { TenantCaller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { CreationRateLimit, RATE_LIMIT_HEADERS } from '../../common/throttling/creation-throttle.guard.js';
import { uuidParam } from '../../common/http/params.js';
import { NoStore } from '../../common/http/no-store.js';
import { NoIdempotency } from '../../common/idempotency/no-idempotency.js';
import { PageOf } from '../../common/http/pagination.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyDto, ApiKeyQuery, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @TenantMember()
  @ApiOperation({ operationId: 'listApiKeys', summary: "The tenant's API keys (masked), newest first, revoked ones included" })
  @ApiOkResponse({ type: PageOf(ApiKeyDto) })
  @ApiProblems(400)
  list(@TenantCaller() caller: TenantCaller, @Query() query: ApiKeyQuery) {
    return this.apiKeys.list(caller, query);
  }

  @Post()
  @TenantAdmin()
  @CreationRateLimit('api-keys')
  @NoIdempotency()
  @NoStore()
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key for server-to-server metering calls; the secret is in this answer only',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto, headers: RATE_LIMIT_HEADERS })
  @ApiProblems(400)
  create(@TenantCaller() caller: TenantCaller, @Body() dto: CreateApiKeyDto) {
    return this.apiKeys.create(caller, dto.name, dto.mode);
  }

  @Delete(':id')
  @HttpCode(204)
  @TenantAdmin()
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke an API key: refused from the next request on' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  revoke(@TenantCaller() caller: TenantCaller, @Param('id', uuidParam('id')) id: string) {
    return this.apiKeys.revoke(caller, id);
  }
}
