import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { newId } from '../../database/ids.js';
import { AuditService } from '../audit/audit.service.js';
import { NotificationDto } from './dto/notification.dto.js';
import type { LimitWarningJob } from './metering.jobs.js';
import { Notification } from './notification.entity.js';

/** The tenant's notifications: limit warnings, written once by the limit-warnings job. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async list(query: PageQuery): Promise<Page<NotificationDto>> {
    const rows = await this.em.find(Notification, afterCursor(query.cursor, 'desc'), {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
    });
    return entityPage(this.em, Notification, rows, query.limit, NotificationDto.from);
  }

  /**
   * Records a crossed threshold in the current tenant's transaction: at most once per subscription,
   * metric, period and threshold (the unique index decides), with its audit entry. Returns whether
   * this call wrote it.
   */
  async recordLimitWarning(warning: LimitWarningJob): Promise<boolean> {
    const message = `${warning.metric} reached ${warning.threshold}% of its limit (${warning.used} of ${warning.limit})`;
    const rows = await this.em.execute<{ id: string }[]>(
      `insert into notifications (id, tenant_id, kind, subscription_id, metric, period_start, threshold, used, "limit", message, created_at)
       values (?, ?, 'limit_warning', ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (tenant_id, subscription_id, metric, period_start, threshold) where kind = 'limit_warning' do nothing
       returning id`,
      [
        newId(),
        warning.tenantId,
        warning.subscriptionId,
        warning.metric,
        new Date(warning.periodStart),
        warning.threshold,
        warning.used,
        warning.limit,
        message,
        this.clock.realNow(),
      ],
    );
    if (!rows.length) return false;
    this.audit.record({
      action: 'usage.limit_warning',
      targetType: 'subscription',
      targetId: warning.subscriptionId,
      tenantId: warning.tenantId,
      after: {
        notificationId: rows[0].id,
        metric: warning.metric,
        threshold: warning.threshold,
        used: warning.used,
        limit: warning.limit,
        periodStart: warning.periodStart,
      },
    });
    return true;
  }
}
