import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { afterCursor, entityPage, Page } from '../../common/http/pagination.js';
import { TENANT_FILTER } from '../../database/tenant-filter.js';
import { AuditLog } from './audit-log.entity.js';
import { newId } from '../../database/ids.js';
import { AuditLogDto, AuditQuery } from './dto/audit-log.dto.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: object | null;
  after?: object | null;
  /** Defaults to the request's tenant; `null` for platform-level actions. */
  tenantId?: string | null;
}

const SECRET_FIELDS = new Set(['password', 'passwordHash', 'tokenHash', 'secret', 'refreshToken', 'accessToken']);

function redact(value: object | null | undefined): Record<string, unknown> | null {
  if (!value) return null;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SECRET_FIELDS.has(key)));
}

/** Writes audit entries in the caller's transaction (so they commit or roll back with the change) and reads them. */
@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly context: RequestContext,
    private readonly clock: Clock,
  ) {}

  record(entry: AuditEntry): void {
    this.em.persist(this.em.create(AuditLog, this.row(entry)));
  }

  /** Many entries in one multi-row insert, right away (for batch jobs; same transaction). */
  async recordMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length)
      await this.em.insertMany(
        AuditLog,
        entries.map((e) => this.row(e)),
      );
  }

  private row(entry: AuditEntry) {
    return {
      id: newId(),
      tenantId: entry.tenantId === undefined ? this.context.tenantIdOrNull : entry.tenantId,
      // Informative only: the database sets the actor from the session's app.user_id (a trigger).
      actorUserId: this.context.actorOrNull?.userId ?? null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      before: redact(entry.before),
      after: redact(entry.after),
      requestId: this.context.requestId,
      createdAt: this.clock.realNow(),
    };
  }

  /** The current tenant's log (tenant filter and RLS both apply). */
  listForTenant(query: AuditQuery): Promise<Page<AuditLogDto>> {
    return this.list(query, { tenantId: this.context.tenantId });
  }

  /** Every tenant's log; the caller must already be on the platform path. */
  listAll(query: AuditQuery & { tenantId?: string }): Promise<Page<AuditLogDto>> {
    return this.list(query, query.tenantId ? { tenantId: query.tenantId } : {}, false);
  }

  private async list(query: AuditQuery, where: object, tenantFilter = true): Promise<Page<AuditLogDto>> {
    const rows = await this.em.find(
      AuditLog,
      { ...where, ...(query.action ? { action: query.action } : {}), ...afterCursor(query.cursor, 'desc') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1, filters: { [TENANT_FILTER]: tenantFilter } },
    );
    return entityPage(this.em, AuditLog, rows, query.limit, AuditLogDto.from);
  }
}
