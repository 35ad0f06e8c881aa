import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import type { TenantRole } from '../../common/context/request-context.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { Membership } from './membership.entity.js';

/** A user's membership of a tenant, as their own account lists it (`GET /v1/auth/me`). */
export interface OwnMembership {
  tenantId: string;
  tenantName: string;
  role: TenantRole;
}

/** Memberships of one tenant; the tenant filter and row-level security stay behind the explicit tenant. */
@Injectable()
export class MembershipRepository {
  constructor(private readonly em: EntityManager) {}

  /** Members of the tenant (the `max_users` gauge). */
  count(tenantId: TenantId): Promise<number> {
    return this.em.count(Membership, { tenantId });
  }

  countAdmins(tenantId: TenantId): Promise<number> {
    return this.em.count(Membership, { tenantId, role: 'tenant_admin' });
  }

  /** A new membership, written at the next flush (after its tenant's row: the foreign key needs it). */
  add(tenantId: TenantId, userId: string, role: TenantRole, now: Date): Membership {
    return this.em.create(Membership, { tenantId, user: userId, role, createdAt: now });
  }

  /** The user's membership of the tenant; `fresh` reads it again (a concurrent change may have committed). */
  ofUser(tenantId: TenantId, userId: string, options: { withUser?: boolean; fresh?: boolean } = {}): Promise<Membership | null> {
    return this.em.findOne(
      Membership,
      { tenantId, user: userId },
      { ...(options.withUser ? { populate: ['user'] as const } : {}), ...(options.fresh ? { refresh: true } : {}) },
    );
  }

  async page<T>(tenantId: TenantId, query: PageQuery, map: (m: Membership) => T): Promise<Page<T>> {
    const rows = await this.em.find(
      Membership,
      { tenantId, ...afterCursor(query.cursor, 'asc') },
      { populate: ['user'], orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Membership, rows, query.limit, map);
  }

  /** Loads the member's account (email, name) onto a membership just added. */
  async withUser(membership: Membership): Promise<Membership> {
    await this.em.populate(membership, ['user']);
    return membership;
  }

  remove(membership: Membership): void {
    this.em.remove(membership);
  }

  /** Writes the request's pending changes (one unit of work per request, shared by the repositories). */
  flush(): Promise<void> {
    return this.em.flush();
  }

  /**
   * Every membership of the user across tenants, oldest first, with the tenant's name: row-level
   * security shows a user's own memberships through app.user_id, whatever the tenant.
   */
  async ofAccount(userId: string): Promise<OwnMembership[]> {
    const rows = await this.em.execute<{ tenant_id: string; tenant_name: string; role: TenantRole }[]>(
      `select m.tenant_id, t.name as tenant_name, m.role
         from memberships m join tenants t on t.id = m.tenant_id
        where m.user_id = ?
        order by m.created_at, m.id`,
      [userId],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, tenantName: r.tenant_name, role: r.role }));
  }
}
