import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import type { TenantRole } from '../../common/context/request-context.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { TENANT_FILTER } from '../../database/tenant-filter.js';
import { Invitation } from './invitation.entity.js';

/** An open invitation addressed to the signed-in account, with its tenant's name. */
export interface OwnInvitation {
  id: string;
  tenantId: string;
  tenantName: string;
  role: TenantRole;
  expiresAt: Date;
}

/** Invitations: a tenant's (its admins manage them) and the signed-in account's own (its email's). */
@Injectable()
export class InvitationRepository {
  constructor(private readonly em: EntityManager) {}

  /** The tenant's pending invitation of `email`, if any (expired or not: inviting again renews it). */
  pendingOf(tenantId: TenantId, email: string): Promise<Invitation | null> {
    return this.em.findOne(Invitation, { tenantId, email, status: 'pending' });
  }

  /** A new pending invitation, written at the next flush. */
  create(
    tenantId: TenantId,
    fields: { email: string; role: TenantRole; invitedBy: string | null; now: Date; expiresAt: Date },
  ): Invitation {
    return this.em.create(Invitation, {
      tenantId,
      email: fields.email,
      role: fields.role,
      status: 'pending',
      invitedBy: fields.invitedBy,
      createdAt: fields.now,
      expiresAt: fields.expiresAt,
      answeredAt: null,
    });
  }

  /** The tenant's invitation, read again (a concurrent answer may have committed before the tenant's lock). */
  find(tenantId: TenantId, id: string): Promise<Invitation | null> {
    return this.em.findOne(Invitation, { tenantId, id }, { refresh: true });
  }

  /** The tenant's open invitations (pending, not expired at `now`), oldest first. */
  async openPage<T>(tenantId: TenantId, query: PageQuery, now: Date, map: (i: Invitation) => T): Promise<Page<T>> {
    const rows = await this.em.find(
      Invitation,
      { tenantId, status: 'pending', expiresAt: { $gt: now }, ...afterCursor(query.cursor, 'asc') },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Invitation, rows, query.limit, map);
  }

  /**
   * An invitation addressed to `email`, in whichever tenant: row-level security shows the caller
   * only invitations to their own account's email, so any other id is not found.
   */
  addressedTo(id: string, email: string): Promise<Invitation | null> {
    return this.em.findOne(Invitation, { id, email }, { filters: { [TENANT_FILTER]: false } });
  }

  /** The signed-in account's email, as the database knows it (the function the row-level policy uses). */
  async accountEmail(): Promise<string | null> {
    const [row] = await this.em.execute<{ email: string | null }[]>('select app_user_email() as email');
    return row?.email ?? null;
  }

  /** Open invitations to the signed-in account's email (`app_user_email()`, never another account's), oldest first. */
  async openForAccount(now: Date): Promise<OwnInvitation[]> {
    const rows = await this.em.execute<
      { id: string; tenant_id: string; tenant_name: string; role: TenantRole; expires_at: Date }[]
    >(
      `select i.id, i.tenant_id, t.name as tenant_name, i.role, i.expires_at
         from invitations i join tenants t on t.id = i.tenant_id
        where i.email = app_user_email() and i.status = 'pending' and i.expires_at > ?
        order by i.created_at, i.id`,
      [now],
    );
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      tenantName: r.tenant_name,
      role: r.role,
      expiresAt: new Date(r.expires_at),
    }));
  }

  /** Writes the request's pending changes (one unit of work per request, shared by the repositories). */
  flush(): Promise<void> {
    return this.em.flush();
  }
}
