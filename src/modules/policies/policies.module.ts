import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { PolicyRepository } from './policy.repository.js';

@Module({
  imports: [AuditModule],
  controllers: [PoliciesController],
  providers: [PoliciesService, PolicyRepository],
  exports: [PoliciesService],
})
export class PoliciesModule {}
