import { Injectable } from '@nestjs/common';
import type { Caller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Page } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { PlatformAccess } from '../audit/platform-access.service.js';
import { AdminTenantDto, AdminTenantQuery } from './dto/tenancy.dto.js';
import { TenantStatus } from './tenant.entity.js';
import { TenantRepository } from './tenant.repository.js';
import { TenancyErrorCode, TenancyErrors } from './tenancy.errors.js';

/** Platform-admin view of every tenant: each call goes through the audited platform path. */
@Injectable()
export class AdminTenantsService {
  constructor(
    private readonly platform: PlatformAccess,
    private readonly tenants: TenantRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  list(caller: Caller, query: AdminTenantQuery): Promise<Page<AdminTenantDto>> {
    return this.platform.run(caller, 'tenants.read', null, () => this.tenants.adminPage(query));
  }

  get(caller: Caller, id: string): Promise<AdminTenantDto> {
    return this.platform.run(caller, 'tenant.read', id, () => this.one(id));
  }

  setStatus(caller: Caller, id: string, status: TenantStatus): Promise<AdminTenantDto> {
    return this.platform.run(caller, status === 'suspended' ? 'tenant.suspend' : 'tenant.reactivate', id, async () => {
      // Locked, so that two concurrent suspensions cannot both see `active`: the second waits, then answers 409.
      const tenant = await this.tenants.lockAny(id);
      if (!tenant) throw TenancyErrors.of(TenancyErrorCode.TenantNotFound);
      if (tenant.status === status) {
        throw TenancyErrors.of(TenancyErrorCode.TenantStatusUnchanged, { detail: `The tenant is already ${status}` });
      }
      const before = { status: tenant.status };
      tenant.status = status;
      tenant.updatedAt = this.clock.realNow();
      await this.tenants.flush();
      this.audit.record({
        action: status === 'suspended' ? 'tenant.suspended' : 'tenant.reactivated',
        targetType: 'tenant',
        targetId: id,
        tenantId: id,
        before,
        after: { status },
      });
      return this.one(id);
    });
  }

  private async one(id: string): Promise<AdminTenantDto> {
    const tenant = await this.tenants.adminOne(id);
    if (!tenant) throw TenancyErrors.of(TenancyErrorCode.TenantNotFound);
    return tenant;
  }
}
