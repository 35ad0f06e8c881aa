import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
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

/** Tenants, members and invitations; its MemberLimit port is bound in src/ports.module.ts. */
@Module({
  imports: [AuditModule, AuthModule],
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
