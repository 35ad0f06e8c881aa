import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { newId } from '../../database/ids.js';
import { Notification } from './notification.entity.js';

/** A crossed threshold of one subscription's metric in one period. */
export interface LimitWarningRow {
  subscriptionId: string;
  metric: string;
  periodStart: Date;
  threshold: number;
  used: number;
  limit: number;
  message: string;
  now: Date;
}

/** A tenant's notifications. */
@Injectable()
export class NotificationRepository {
  constructor(private readonly em: EntityManager) {}

  /** The tenant's notifications, newest first. */
  async page<T>(tenantId: TenantId, query: PageQuery, map: (n: Notification) => T): Promise<Page<T>> {
    const rows = await this.em.find(
      Notification,
      { tenantId, ...afterCursor(query.cursor, 'desc') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Notification, rows, query.limit, map);
  }

  /**
   * Inserts a limit warning unless one exists for its subscription, metric, period and threshold
   * (the unique index decides); its id, or null when it was there already.
   */
  async addLimitWarning(tenantId: TenantId, warning: LimitWarningRow): Promise<string | null> {
    const rows = await this.em.execute<{ id: string }[]>(
      `insert into notifications (id, tenant_id, kind, subscription_id, metric, period_start, threshold, used, "limit", message, created_at)
       values (?, ?, 'limit_warning', ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (tenant_id, subscription_id, metric, period_start, threshold) where kind = 'limit_warning' do nothing
       returning id`,
      [
        newId(),
        tenantId,
        warning.subscriptionId,
        warning.metric,
        warning.periodStart,
        warning.threshold,
        warning.used,
        warning.limit,
        warning.message,
        warning.now,
      ],
    );
    return rows[0]?.id ?? null;
  }
}
