import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../../config/config.js';
import { Clock } from '../../common/clock/clock.service.js';
import { newId } from '../../database/ids.js';
import { platformDatabaseUrl } from '../../database/setup.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from '../audit/audit.service.js';
import { ChargeIntentRepository } from './charge-intent.repository.js';
import { ChargeResult, PaymentGateway } from './payment-gateway.js';

export interface ChargeIntent {
  tenantId: string;
  chargeKey: string;
  invoiceId: string;
  amount: bigint;
  currency: string;
}

/** Who records an intent: a tenant's request or job (the request role), or the renewal worker (the platform role). */
export type IntentWriter = 'tenant' | 'platform';

const RECONCILE_BATCH = 100;

/**
 * A charge is recorded before it is made (issue 10). `record` commits the intents on a connection
 * of their own — so they survive whatever happens to the caller's transaction — before the gateway
 * is called with the same key; `complete` settles them inside the caller's transaction, beside the
 * payments. An intent still pending after CHARGE_RECONCILE_AFTER_MS lost its outcome, and
 * `reconcile` asks the gateway: a charge that nothing records is refunded; no charge, nothing owed.
 */
@Injectable()
export class ChargeIntents implements OnApplicationShutdown {
  private readonly logger = new Logger(ChargeIntents.name);
  private readonly pools = new Map<IntentWriter, pg.Pool>();

  constructor(
    private readonly repository: ChargeIntentRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly gateway: PaymentGateway,
    private readonly session: TenantSession,
    private readonly audit: AuditService,
  ) {}

  /**
   * Commits the intents (pending) and answers the keys that must not be charged: an intent the
   * reconciler already refunded. A key seen before and found uncharged is pending again.
   */
  async record(writer: IntentWriter, intents: ChargeIntent[]): Promise<Set<string>> {
    if (!intents.length) return new Set();
    const client = await this.pool(writer).connect();
    try {
      await client.query('begin');
      // The request role's rows are its tenant's only (RLS): its intents are one tenant's.
      if (writer === 'tenant') await client.query(`select set_config('app.tenant_id', $1, true)`, [intents[0].tenantId]);
      const { rows } = await client.query<{ charge_key: string; status: string }>(
        `insert into charge_intents (id, tenant_id, charge_key, invoice_id, amount, currency, status, created_at)
         select i.id, i.tenant_id, i.charge_key, i.invoice_id, i.amount, i.currency, 'pending', $2
           from json_to_recordset($1::json) as i(id uuid, tenant_id uuid, charge_key text, invoice_id uuid, amount bigint, currency text)
         on conflict (charge_key) do update set status = 'pending', settled_at = null
           where charge_intents.status = 'abandoned'
         returning charge_key, status`,
        [
          JSON.stringify(
            intents.map((i) => ({
              id: newId(),
              tenant_id: i.tenantId,
              charge_key: i.chargeKey,
              invoice_id: i.invoiceId,
              amount: i.amount.toString(),
              currency: i.currency,
            })),
          ),
          this.clock.realNow(),
        ],
      );
      const written = new Set(rows.map((r) => r.charge_key));
      const seen = intents.filter((i) => !written.has(i.chargeKey)).map((i) => i.chargeKey);
      const refunded = seen.length
        ? await client.query<{ charge_key: string }>(
            `select charge_key from charge_intents where charge_key = any($1::text[]) and status = 'refunded'`,
            [seen],
          )
        : { rows: [] };
      await client.query('commit');
      return new Set(refunded.rows.map((r) => r.charge_key));
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Settles the intents in the caller's transaction (the one recording the payments). Answers the
   * keys that were no longer pending — refunded meanwhile — whose charge must not count as paid.
   */
  async complete(outcomes: { chargeKey: string; result: ChargeResult }[]): Promise<Set<string>> {
    if (!outcomes.length) return new Set();
    const settled = await this.repository.settle(outcomes, this.clock.realNow());
    return new Set(outcomes.map((o) => o.chargeKey).filter((key) => !settled.has(key)));
  }

  /** Settles intents pending for longer than CHARGE_RECONCILE_AFTER_MS, across tenants (the worker's scan). */
  async reconcile(): Promise<{ refunded: number; failed: number; abandoned: number }> {
    const before = new Date(this.clock.realNow().getTime() - this.config.CHARGE_RECONCILE_AFTER_MS);
    return this.session.runPlatform(null, async (em) => {
      const stale = await this.repository.stale(em, before, RECONCILE_BATCH);
      const counts = { refunded: 0, failed: 0, abandoned: 0 };
      for (const intent of stale) {
        const charge = await this.gateway.retrieve(intent.charge_key);
        let status: 'refunded' | 'failed' | 'abandoned';
        if (!charge) status = 'abandoned';
        else if (charge.status === 'failed') status = 'failed';
        else {
          // Money taken, but the transaction that would have recorded it never committed: give it back.
          await this.gateway.refund(intent.charge_key);
          status = 'refunded';
        }
        counts[status] += 1;
        await this.repository.markSettled(em, intent.id, status, charge?.id ?? null, this.clock.realNow());
        this.audit.record({
          action: `charge.${status}`,
          targetType: 'charge_intent',
          targetId: intent.id,
          tenantId: intent.tenant_id,
          after: { chargeKey: intent.charge_key, amount: Number(intent.amount), currency: intent.currency, reconciled: true },
        });
      }
      if (stale.length) this.logger.warn(counts, 'reconciled charge intents whose outcome was never recorded');
      return counts;
    });
  }

  private pool(writer: IntentWriter): pg.Pool {
    let pool = this.pools.get(writer);
    if (!pool) {
      const url = writer === 'tenant' ? this.config.DATABASE_URL : platformDatabaseUrl(this.config);
      pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on('error', () => undefined); // an idle connection dropped: the next checkout reconnects
      this.pools.set(writer, pool);
    }
    return pool;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end()));
  }
}
