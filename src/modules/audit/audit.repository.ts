import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { afterCursor, entityPage, Page } from '../../common/http/pagination.js';
import { TENANT_FILTER } from '../../database/tenant-filter.js';
import { AuditLog } from './audit-log.entity.js';

/** The audit log (rows are plain AuditLog-shaped objects): appended to in the caller's transaction, read a page at a time. */
@Injectable()
export class AuditRepository {
  constructor(private readonly em: EntityManager) {}

  /** Written with the rest of the unit of work, so it commits or rolls back with the change. */
  add(row: AuditLog): void {
    this.em.persist(this.em.create(AuditLog, row));
  }

  /** Many entries in one multi-row insert, right away (same transaction). */
  async addMany(rows: AuditLog[]): Promise<void> {
    if (rows.length) await this.em.insertMany(AuditLog, rows);
  }

  /** One tenant's log, newest first (the tenant filter and row-level security both apply). */
  tenantPage<T>(tenantId: TenantId, query: LogQuery, map: (row: AuditLog) => T): Promise<Page<T>> {
    return this.page({ tenantId }, query, map, true);
  }

  /** Every tenant's log (or one tenant's, by filter), newest first: the platform path only. */
  platformPage<T>(query: LogQuery & { tenantId?: string }, map: (row: AuditLog) => T): Promise<Page<T>> {
    return this.page(query.tenantId ? { tenantId: query.tenantId } : {}, query, map, false);
  }

  async tenantExists(tenantId: string): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>('select id from tenants where id = ?', [tenantId]);
    return rows.length > 0;
  }

  private async page<T>(
    where: { tenantId?: string },
    query: LogQuery,
    map: (row: AuditLog) => T,
    tenantFilter: boolean,
  ): Promise<Page<T>> {
    const rows = await this.em.find(
      AuditLog,
      { ...where, ...(query.action ? { action: query.action } : {}), ...afterCursor(query.cursor, 'desc') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1, filters: { [TENANT_FILTER]: tenantFilter } },
    );
    return entityPage(this.em, AuditLog, rows, query.limit, map);
  }
}

interface LogQuery {
  action?: string;
  cursor?: string;
  limit: number;
}
