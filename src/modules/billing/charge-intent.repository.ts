import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { ChargeResult } from './payment-gateway.js';

export interface StaleIntent {
  id: string;
  tenant_id: string;
  charge_key: string;
  amount: string;
  currency: string;
}

/**
 * Charge intents read and settled in a transaction's EntityManager. Recording them is not here:
 * ChargeIntents commits them on a connection of its own, before the charge is made.
 */
@Injectable()
export class ChargeIntentRepository {
  constructor(private readonly em: EntityManager) {}

  /** How the intent holding `key` stands, or null when none does. */
  async status(key: string): Promise<string | null> {
    const [held] = await this.em.execute<{ status: string }[]>('select status from charge_intents where charge_key = ?', [key]);
    return held?.status ?? null;
  }

  /** Settles pending intents with their outcomes; answers the keys it settled. */
  async settle(outcomes: { chargeKey: string; result: ChargeResult }[], now: Date): Promise<Set<string>> {
    const rows = await this.em.execute<{ charge_key: string }[]>(
      `update charge_intents c set status = o.status, provider_charge_id = nullif(o.id, ''), settled_at = ?
         from json_to_recordset(?::json) as o(charge_key text, status text, id text)
        where c.charge_key = o.charge_key and c.status = 'pending'
        returning c.charge_key`,
      [now, JSON.stringify(outcomes.map((o) => ({ charge_key: o.chargeKey, status: o.result.status, id: o.result.id })))],
    );
    return new Set(rows.map((r) => r.charge_key));
  }

  /** Intents pending since `before`, across tenants, row-locked (SKIP LOCKED); the platform path's `em`. */
  stale(em: EntityManager, before: Date, limit: number): Promise<StaleIntent[]> {
    return em.execute<StaleIntent[]>(
      `select id, tenant_id, charge_key, amount, currency from charge_intents
        where status = 'pending' and created_at <= ? order by created_at limit ? for update skip locked`,
      [before, limit],
    );
  }

  async markSettled(em: EntityManager, id: string, status: string, chargeId: string | null, now: Date): Promise<void> {
    await em.execute(`update charge_intents set status = ?, provider_charge_id = ?, settled_at = ? where id = ?`, [
      status,
      chargeId,
      now,
      id,
    ]);
  }
}
