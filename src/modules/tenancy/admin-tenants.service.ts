import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { decodeCursor, exactTimestampSql, Page, toPage } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { PlatformAccess } from '../audit/platform-access.service.js';
import { AdminTenantDto, AdminTenantQuery } from './dto/tenancy.dto.js';
import { Tenant, TenantStatus } from './tenant.entity.js';
import { TenancyErrorCode, TenancyErrors } from './tenancy.errors.js';

interface TenantRow {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  created_at: Date;
  cursor_at: string;
  member_count: string;
}

const toDto = (r: TenantRow): AdminTenantDto => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  status: r.status,
  createdAt: new Date(r.created_at).toISOString(),
  memberCount: Number(r.member_count),
});

/** Platform-admin view of every tenant: each call goes through the audited platform path. */
@Injectable()
export class AdminTenantsService {
  constructor(
    private readonly platform: PlatformAccess,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  list(query: AdminTenantQuery): Promise<Page<AdminTenantDto>> {
    return this.platform.run('tenants.read', null, async (em) => {
      const after = decodeCursor(query.cursor);
      const rows = await em.execute<TenantRow[]>(
        `select t.id, t.name, t.slug, t.status, t.created_at, ${exactTimestampSql('t.created_at')} as cursor_at,
                (select count(*) from memberships m where m.tenant_id = t.id) as member_count
           from tenants t
          where (?::text is null or t.status = ?)
            and (?::timestamptz is null or (t.created_at, t.id) < (?::timestamptz, ?::uuid))
          order by t.created_at desc, t.id desc
          limit ?`,
        [query.status ?? null, query.status ?? null, after?.at ?? null, after?.at ?? null, after?.id ?? null, query.limit + 1],
      );
      return toPage(rows, query.limit, (r) => ({ at: r.cursor_at, id: r.id }), toDto);
    });
  }

  get(id: string): Promise<AdminTenantDto> {
    return this.platform.run('tenant.read', id, async (em) => toDto(await this.row(em, id)));
  }

  setStatus(id: string, status: TenantStatus): Promise<AdminTenantDto> {
    return this.platform.run(status === 'suspended' ? 'tenant.suspend' : 'tenant.reactivate', id, async (em) => {
      // Locked, so that two concurrent suspensions cannot both see `active`: the second waits, then answers 409.
      const tenant = await em.findOne(Tenant, id, { filters: false, lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!tenant) throw TenancyErrors.of(TenancyErrorCode.TenantNotFound);
      if (tenant.status === status)
        throw TenancyErrors.of(TenancyErrorCode.TenantStatusUnchanged, { detail: `The tenant is already ${status}` });
      const before = { status: tenant.status };
      tenant.status = status;
      tenant.updatedAt = this.clock.realNow();
      await em.flush();
      this.audit.record({
        action: status === 'suspended' ? 'tenant.suspended' : 'tenant.reactivated',
        targetType: 'tenant',
        targetId: id,
        tenantId: id,
        before,
        after: { status },
      });
      return toDto(await this.row(em, id));
    });
  }

  private async row(em: EntityManager, id: string): Promise<TenantRow> {
    const [row] = await em.execute<TenantRow[]>(
      `select t.id, t.name, t.slug, t.status, t.created_at, ${exactTimestampSql('t.created_at')} as cursor_at,
              (select count(*) from memberships m where m.tenant_id = t.id) as member_count
         from tenants t where t.id = ?`,
      [id],
    );
    if (!row) throw TenancyErrors.of(TenancyErrorCode.TenantNotFound);
    return row;
  }
}
