import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AccessGuard } from './auth/access.guard.js';
import { Clock } from './clock/clock.service.js';
import { ClockController } from './clock/clock.controller.js';
import { RequestContext } from './context/request-context.js';
import { ProblemDetailsFilter } from './errors/problem-details.filter.js';
import { ProblemsController } from './errors/problems.controller.js';
import { IdempotencyService } from './idempotency/idempotency.service.js';
import { UnitOfWorkInterceptor } from './transaction/unit-of-work.interceptor.js';

/** The request pipeline every module shares: access guard, unit of work, problem details. */
@Global()
@Module({
  controllers: [ClockController, ProblemsController],
  providers: [
    Clock,
    RequestContext,
    IdempotencyService,
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: UnitOfWorkInterceptor },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
  exports: [Clock, RequestContext],
})
export class CommonModule {}
