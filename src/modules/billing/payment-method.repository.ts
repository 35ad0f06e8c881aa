import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { pgArray } from '../../database/sql.js';
import { PaymentMethod } from './payment-method.entity.js';

/** The card a charge uses: its id and the provider's token. */
export type CardRef = Pick<PaymentMethod, 'id' | 'providerToken'>;

/** Whose card a charge uses: the subscription's own, or (null, or removed) the tenant's default. */
export interface CardChoice {
  tenantId: string;
  paymentMethodId: string | null;
}

/** Cards on file; the newest one not removed is the default. */
@Injectable()
export class PaymentMethodRepository {
  constructor(private readonly em: EntityManager) {}

  async defaultCard(tenantId: TenantId): Promise<PaymentMethod | null> {
    const [newest] = await this.em.find(
      PaymentMethod,
      { tenantId, deletedAt: null },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 1 },
    );
    return newest ?? null;
  }

  findActive(tenantId: TenantId, id: string): Promise<PaymentMethod | null> {
    return this.em.findOne(PaymentMethod, { tenantId, id, deletedAt: null });
  }

  async page<T>(tenantId: TenantId, query: PageQuery, map: (pm: PaymentMethod) => T): Promise<Page<T>> {
    const rows = await this.em.find(
      PaymentMethod,
      { tenantId, deletedAt: null, ...afterCursor(query.cursor, 'desc') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, PaymentMethod, rows, query.limit, map);
  }

  async add(tenantId: TenantId, card: Omit<PaymentMethod, 'id' | 'tenantId' | 'deletedAt'>): Promise<PaymentMethod> {
    const pm = this.em.create(PaymentMethod, { ...card, tenantId, deletedAt: null });
    await this.em.flush();
    return pm;
  }

  async remove(tenantId: TenantId, pm: PaymentMethod, at: Date): Promise<void> {
    // A card of another tenant is never in this tenant's transaction; refuse loudly if code ever passes one.
    if (pm.tenantId !== tenantId) throw new Error('payment method of another tenant');
    pm.deletedAt = at;
    await this.em.flush();
  }

  /**
   * The card for each charge, in one query: the subscription's own card while it is on file,
   * otherwise the tenant's default (newest) card; null when the tenant has none.
   */
  async cardsFor(choices: CardChoice[]): Promise<(CardRef | null)[]> {
    if (!choices.length) return [];
    const rows = await this.em.execute<{ i: string; id: string | null; provider_token: string | null }[]>(
      `select c.i, coalesce(own.id, fallback.id) as id, coalesce(own.provider_token, fallback.provider_token) as provider_token
         from unnest(?::uuid[], ?::uuid[]) with ordinality as c(tenant_id, payment_method_id, i)
         left join payment_methods own
           on own.id = c.payment_method_id and own.tenant_id = c.tenant_id and own.deleted_at is null
         left join lateral (
           select id, provider_token from payment_methods
            where tenant_id = c.tenant_id and deleted_at is null order by created_at desc, id desc limit 1
         ) fallback on own.id is null`,
      [pgArray(choices.map((c) => c.tenantId)), pgArray(choices.map((c) => c.paymentMethodId))],
    );
    const byIndex = new Map(rows.map((r) => [Number(r.i) - 1, r]));
    return choices.map((_, i) => {
      const row = byIndex.get(i);
      return row?.id && row.provider_token ? { id: row.id, providerToken: row.provider_token } : null;
    });
  }
}
