import { Global, Module } from '@nestjs/common';
import { MeteredUsage } from '../subscriptions/metered-usage.port.js';
import { AdminUsageController } from './admin-usage.controller.js';
import { CounterUsage } from './counter-usage.js';
import { LimitWarnings } from './limit-warnings.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationRepository } from './notification.repository.js';
import { NotificationsService } from './notifications.service.js';
import { UsageHistoryService } from './usage-history.service.js';
import { UsageController } from './usage.controller.js';
import { UsageRepository } from './usage.repository.js';
import { UsageService } from './usage.service.js';

/**
 * Usage recording and limit enforcement, entitlements, usage history, limit warnings and
 * notifications. Global so that subscriptions (below it) receives the MeteredUsage port without
 * importing metering.
 */
@Global()
@Module({
  controllers: [UsageController, AdminUsageController, NotificationsController],
  providers: [
    UsageService,
    UsageHistoryService,
    NotificationsService,
    LimitWarnings,
    UsageRepository,
    NotificationRepository,
    { provide: MeteredUsage, useClass: CounterUsage },
  ],
  exports: [MeteredUsage, NotificationsService],
})
export class MeteringModule {}
