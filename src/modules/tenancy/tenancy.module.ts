import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { AdminTenantsController } from './admin-tenants.controller.js';
import { AdminTenantsService } from './admin-tenants.service.js';
import { InvitationRepository } from './invitation.repository.js';
import { InvitationsService } from './invitations.service.js';
import { MembershipRepository } from './membership.repository.js';
import { TenancyController } from './tenancy.controller.js';
import { TenancyService } from './tenancy.service.js';
import { TenantRepository } from './tenant.repository.js';

@Module({
  imports: [AuthModule],
  controllers: [TenancyController, AdminTenantsController, AccountController],
  providers: [
    TenancyService,
    InvitationsService,
    AdminTenantsService,
    AccountService,
    TenantRepository,
    MembershipRepository,
    InvitationRepository,
  ],
  exports: [TenancyService],
})
export class TenancyModule {}
