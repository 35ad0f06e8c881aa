import { Injectable } from '@nestjs/common';
import type { TenantCaller, TenantId } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { NotificationDto } from './dto/notification.dto.js';
import type { LimitWarningJob } from './metering.jobs.js';
import { NotificationRepository } from './notification.repository.js';

/** The tenant's notifications: limit warnings, written once by the limit-warnings job. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  list(caller: TenantCaller, query: PageQuery): Promise<Page<NotificationDto>> {
    return this.notifications.page(caller.tenantId, query, NotificationDto.from);
  }

  /**
   * Records a crossed threshold in the tenant's transaction: at most once per subscription,
   * metric, period and threshold (the unique index decides), with its audit entry. Returns whether
   * this call wrote it.
   */
  async recordLimitWarning(tenantId: TenantId, warning: LimitWarningJob): Promise<boolean> {
    const id = await this.notifications.addLimitWarning(tenantId, {
      subscriptionId: warning.subscriptionId,
      metric: warning.metric,
      periodStart: new Date(warning.periodStart),
      threshold: warning.threshold,
      used: warning.used,
      limit: warning.limit,
      message: `${warning.metric} reached ${warning.threshold}% of its limit (${warning.used} of ${warning.limit})`,
      now: this.clock.realNow(),
    });
    if (!id) return false;
    this.audit.record({
      action: 'usage.limit_warning',
      targetType: 'subscription',
      targetId: warning.subscriptionId,
      tenantId,
      after: {
        notificationId: id,
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
