import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { decodeCursor, exactTimestampSql, Page, toPage } from '../../common/http/pagination.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AdminTenantDto } from './dto/tenancy.dto.js';
import { Tenant, TenantStatus } from './tenant.entity.js';

interface AdminTenantRow {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  created_at: Date;
  cursor_at: string;
  member_count: string;
}

const toAdminDto = (r: AdminTenantRow): AdminTenantDto => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  status: r.status,
  createdAt: new Date(r.created_at).toISOString(),
  memberCount: Number(r.member_count),
});

const ADMIN_COLUMNS = `t.id, t.name, t.slug, t.status, t.created_at, ${exactTimestampSql('t.created_at')} as cursor_at,
       (select count(*) from memberships m where m.tenant_id = t.id) as member_count`;

/** Tenants, in the transaction of the request (or of the platform path, for the admin reads). */
@Injectable()
export class TenantRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly session: TenantSession,
  ) {}

  /** A new tenant, written at the next flush. */
  create(fields: { name: string; slug: string; now: Date }): Tenant {
    return this.em.create(Tenant, {
      name: fields.name,
      slug: fields.slug,
      status: 'active',
      createdAt: fields.now,
      updatedAt: fields.now,
    });
  }

  /**
   * Makes the open transaction act in `tenantId` (row-level security and the tenant filter): a
   * tenant just created, or the tenant of an invitation the database showed the caller.
   */
  async enter(tenantId: string): Promise<TenantId> {
    await this.session.enterTenant(this.em, tenantId);
    return tenantId as TenantId;
  }

  find(tenantId: TenantId): Promise<Tenant | null> {
    return this.em.findOne(Tenant, tenantId);
  }

  /** The tenant, locked for the rest of the transaction (membership and invitation changes queue behind it). */
  lock(tenantId: TenantId): Promise<Tenant | null> {
    return this.em.findOne(Tenant, tenantId, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Writes the changes made to the loaded tenants (and the rest of the request's unit of work). */
  flush(): Promise<void> {
    return this.em.flush();
  }

  // Platform path only (PlatformAccess): every tenant, the tenant filter off.

  async adminPage(query: { status?: TenantStatus; cursor?: string; limit: number }): Promise<Page<AdminTenantDto>> {
    const after = decodeCursor(query.cursor);
    const rows = await this.em.execute<AdminTenantRow[]>(
      `select ${ADMIN_COLUMNS}
         from tenants t
        where (?::text is null or t.status = ?)
          and (?::timestamptz is null or (t.created_at, t.id) < (?::timestamptz, ?::uuid))
        order by t.created_at desc, t.id desc
        limit ?`,
      [query.status ?? null, query.status ?? null, after?.at ?? null, after?.at ?? null, after?.id ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, (r) => ({ at: r.cursor_at, id: r.id }), toAdminDto);
  }

  async adminOne(id: string): Promise<AdminTenantDto | null> {
    const [row] = await this.em.execute<AdminTenantRow[]>(`select ${ADMIN_COLUMNS} from tenants t where t.id = ?`, [id]);
    return row ? toAdminDto(row) : null;
  }

  /** Any tenant, locked: two concurrent status changes cannot both see the old status. */
  lockAny(id: string): Promise<Tenant | null> {
    return this.em.findOne(Tenant, id, { filters: false, lockMode: LockMode.PESSIMISTIC_WRITE });
  }
}
