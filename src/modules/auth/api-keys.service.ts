import { Injectable } from '@nestjs/common';
import type { TenantCaller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { type ApiKeyMode, generateApiKey } from './api-key-secret.rules.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

/** The caller's tenant's API keys: created (secret shown once), listed, revoked. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async create(caller: TenantCaller, name: string, mode: ApiKeyMode): Promise<CreatedApiKeyDto> {
    const generated = generateApiKey(mode);
    const key = await this.keys.create(caller.tenantId, {
      name,
      mode,
      prefix: generated.prefix,
      secretHash: generated.hash,
      last4: generated.last4,
      createdBy: caller.actor?.userId ?? null,
      now: this.clock.realNow(),
    });
    const dto = ApiKeyDto.from(key);
    this.audit.record({ action: 'api_key.created', targetType: 'api_key', targetId: key.id, after: dto });
    return { ...dto, secret: generated.secret };
  }

  list(caller: TenantCaller, query: PageQuery): Promise<Page<ApiKeyDto>> {
    return this.keys.page(caller.tenantId, query, ApiKeyDto.from);
  }

  /** Revokes a key; it is refused from the next request on. Revoking a revoked key changes nothing. */
  async revoke(caller: TenantCaller, id: string): Promise<void> {
    const key = await this.keys.find(caller.tenantId, id);
    if (!key) throw AuthErrors.of(AuthErrorCode.ApiKeyNotFound);
    if (key.revokedAt) return;
    const before = ApiKeyDto.from(key);
    key.revokedAt = this.clock.realNow();
    key.revokedBy = caller.actor?.userId ?? null;
    await this.keys.flush();
    this.audit.record({ action: 'api_key.revoked', targetType: 'api_key', targetId: key.id, before, after: ApiKeyDto.from(key) });
  }
}
