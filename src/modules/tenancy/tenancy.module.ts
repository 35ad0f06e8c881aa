import { Module } from '@nestjs/common';
import { AdminTenantsController } from './admin-tenants.controller.js';
import { AdminTenantsService } from './admin-tenants.service.js';
import { TenancyController } from './tenancy.controller.js';
import { TenancyService } from './tenancy.service.js';
import { InvitationsService } from './invitations.service.js';

@Module({
  controllers: [TenancyController, AdminTenantsController],
  providers: [TenancyService, InvitationsService, AdminTenantsService],
  exports: [TenancyService],
})
export class TenancyModule {}
