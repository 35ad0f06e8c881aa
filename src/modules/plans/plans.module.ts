import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PoliciesModule } from '../policies/policies.module.js';
import { PlansController } from './plans.controller.js';
import { PlanRepository } from './plan.repository.js';
import { PlansService } from './plans.service.js';

@Module({
  imports: [AuditModule, PoliciesModule],
  controllers: [PlansController],
  providers: [PlansService, PlanRepository],
  exports: [PlansService],
})
export class PlansModule {}
