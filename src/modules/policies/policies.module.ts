import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { PolicyRepository } from './policy.repository.js';

@Module({ controllers: [PoliciesController], providers: [PoliciesService, PolicyRepository], exports: [PoliciesService] })
export class PoliciesModule {}
