import { Module } from '@nestjs/common';
import { PoliciesModule } from '../policies/policies.module.js';
import { PlansController } from './plans.controller.js';
import { PlanRepository } from './plan.repository.js';
import { PlansService } from './plans.service.js';

@Module({
  imports: [PoliciesModule],
  controllers: [PlansController],
  providers: [PlansService, PlanRepository],
  exports: [PlansService],
})
export class PlansModule {}
