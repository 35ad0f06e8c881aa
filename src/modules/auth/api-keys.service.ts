import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { type ApiKeyMode, generateApiKey } from './api-key-secret.js';
import { ApiKey } from './api-key.entity.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

/** The current tenant's API keys: created (secret shown once), listed, revoked. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly context: RequestContext,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async create(name: string, mode: ApiKeyMode): Promise<CreatedApiKeyDto> {
    const generated = generateApiKey(mode);
    const key = this.em.create(ApiKey, {
      tenantId: this.context.tenantId,
      name,
      mode,
      prefix: generated.prefix,
      secretHash: generated.hash,
      last4: generated.last4,
      createdBy: this.context.actorOrNull?.userId ?? null,
      createdAt: this.clock.realNow(),
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    await this.em.flush();
    const dto = ApiKeyDto.from(key);
    this.audit.record({ action: 'api_key.created', targetType: 'api_key', targetId: key.id, after: dto });
    return { ...dto, secret: generated.secret };
  }

  async list(query: PageQuery): Promise<Page<ApiKeyDto>> {
    const rows = await this.em.find(ApiKey, afterCursor(query.cursor, 'desc'), {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
    });
    return entityPage(this.em, ApiKey, rows, query.limit, ApiKeyDto.from);
  }

  /** Revokes a key; it is refused from the next request on. Revoking a revoked key changes nothing. */
  async revoke(id: string): Promise<void> {
    const key = await this.em.findOne(ApiKey, id);
    if (!key) throw AuthErrors.of(AuthErrorCode.ApiKeyNotFound);
    if (key.revokedAt) return;
    const before = ApiKeyDto.from(key);
    key.revokedAt = this.clock.realNow();
    key.revokedBy = this.context.actorOrNull?.userId ?? null;
    await this.em.flush();
    this.audit.record({ action: 'api_key.revoked', targetType: 'api_key', targetId: key.id, before, after: ApiKeyDto.from(key) });
  }
}
