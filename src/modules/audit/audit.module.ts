import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditLogsService } from './audit-logs.service.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { PlatformAccess } from './platform-access.service.js';

/** Written to by every module (each imports it); also the home of the audited platform path. */
@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditLogsService, AuditRepository, PlatformAccess],
  exports: [AuditService, PlatformAccess],
})
export class AuditModule {}
