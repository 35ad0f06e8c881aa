import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AdminTenantsController } from './admin-tenants.controller.js';
import { AdminTenantsService } from './admin-tenants.service.js';
import { TenancyController } from './tenancy.controller.js';
import { TenancyService } from './tenancy.service.js';
import { InvitationsService } from './invitations.service.js';

/** Tenants, members and invitations; its MemberLimit port is bound in src/ports.module.ts. */
@Module({
  imports: [AuditModule],
  controllers: [TenancyController, AdminTenantsController],
  providers: [TenancyService, InvitationsService, AdminTenantsService],
  exports: [TenancyService],
})
export class TenancyModule {}
