import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AdminUsageController } from './admin-usage.controller.js';
import { CounterUsage } from './counter-usage.js';
import { LimitWarningProcessor } from './limit-warning.processor.js';
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
 * notifications. CounterUsage implements subscriptions' MeteredUsage port (bound in src/ports.module.ts).
 */
@Module({
  imports: [AuditModule],
  controllers: [UsageController, AdminUsageController, NotificationsController],
  providers: [
    UsageService,
    UsageHistoryService,
    NotificationsService,
    LimitWarnings,
    CounterUsage,
    UsageRepository,
    NotificationRepository,
  ],
  exports: [CounterUsage, NotificationsService],
})
export class MeteringModule {}

/**
 * Metering's processor (the `limit-warnings` queue).
 * Imported by the worker process only: the API enqueues jobs, it never runs them.
 */
@Module({ imports: [MeteringModule], providers: [LimitWarningProcessor] })
export class MeteringWorkerModule {}
