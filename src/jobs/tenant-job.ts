import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ClsService } from 'nestjs-cls';
import { Clock } from '../common/clock/clock.service.js';
import { RequestContext } from '../common/context/request-context.js';
import { TenantSession } from '../database/tenant-session.js';

/**
 * Runs a job's work exactly as a request runs: a CLS context naming the tenant, the shared clock
 * re-read, and one transaction with the tenant's RLS session set first.
 */
@Injectable()
export class TenantJob {
  constructor(
    private readonly cls: ClsService,
    private readonly context: RequestContext,
    private readonly session: TenantSession,
    private readonly clock: Clock,
  ) {}

  run<T>(tenantId: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.cls.run(async () => {
      this.context.setTenant({ tenantId, role: null });
      await this.clock.sync();
      return this.session.run({ tenantId }, work);
    });
  }
}
