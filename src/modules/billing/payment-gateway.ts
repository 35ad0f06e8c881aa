import { randomBytes } from 'node:crypto';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../../config/config.js';
import { brandOf, ChargeOutcomeCode, outcomeOf } from './cards.rules.js';

export interface TokenizedCard {
  token: string;
  brand: string;
  last4: string;
}

export interface ChargeRequest {
  token: string;
  amount: bigint;
  currency: string;
  /** The same key always gets the same answer, and the card is charged at most once. */
  idempotencyKey: string;
}

export interface ChargeResult {
  id: string;
  status: 'succeeded' | 'failed';
  failureCode: string | null;
}

/** What the provider knows of a charge, looked up by its idempotency key. */
export interface ChargeRecord extends ChargeResult {
  amount: bigint;
  currency: string;
  refunded: boolean;
}

/** A card payment provider (Stripe-like). The platform only ever stores its opaque tokens. */
export abstract class PaymentGateway {
  abstract tokenize(cardNumber: string): Promise<TokenizedCard>;
  abstract charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The charge made under this key, or null when none was (the reconciler's question). */
  abstract retrieve(idempotencyKey: string): Promise<ChargeRecord | null>;
  /** Gives a succeeded charge's money back in full (idempotent). */
  abstract refund(idempotencyKey: string): Promise<void>;
}

/** The mock provider's own storage: first write per key wins, like a provider's idempotency store. */
export interface MockGatewayStore {
  /** Stores `record` under `key` unless one is there; answers the stored one. */
  putIfAbsent(key: string, record: ChargeRecord): Promise<ChargeRecord>;
  get(key: string): Promise<ChargeRecord | null>;
  markRefunded(key: string): Promise<void>;
}

/**
 * The mock provider: outcomes follow API.md's test cards (the token carries the card's outcome,
 * as a real provider's card record would), and charges are idempotent per key across processes,
 * restarts and a Redis loss, kept in its own durable store.
 */
export class MockPaymentGateway extends PaymentGateway {
  constructor(private readonly store: MockGatewayStore) {
    super();
  }

  async tokenize(cardNumber: string): Promise<TokenizedCard> {
    return {
      token: `pm_mock_${outcomeOf(cardNumber)}_${randomBytes(12).toString('hex')}`,
      brand: brandOf(cardNumber),
      last4: cardNumber.slice(-4),
    };
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const outcome = /^pm_mock_(success|card_declined|insufficient_funds)_/.exec(request.token)?.[1] as
      ChargeOutcomeCode | undefined;
    const stored = await this.store.putIfAbsent(request.idempotencyKey, {
      id: `ch_mock_${randomBytes(12).toString('hex')}`,
      status: outcome === 'success' ? 'succeeded' : 'failed',
      failureCode: outcome === 'success' ? null : (outcome ?? 'invalid_payment_method'),
      amount: request.amount,
      currency: request.currency,
      refunded: false,
    });
    return { id: stored.id, status: stored.status, failureCode: stored.failureCode };
  }

  retrieve(idempotencyKey: string): Promise<ChargeRecord | null> {
    return this.store.get(idempotencyKey);
  }

  async refund(idempotencyKey: string): Promise<void> {
    await this.store.markRefunded(idempotencyKey);
  }
}

interface ChargeRow {
  id: string;
  status: 'succeeded' | 'failed';
  failure_code: string | null;
  amount: string;
  currency: string;
  refunded_at: Date | null;
}

const fromRow = (r: ChargeRow): ChargeRecord => ({
  id: r.id,
  status: r.status,
  failureCode: r.failure_code,
  amount: BigInt(r.amount),
  currency: r.currency,
  refunded: r.refunded_at !== null,
});

/**
 * The mock provider's store in PostgreSQL (schema `mock_gateway`), on a small pool of its own:
 * every write commits on its own, never inside the platform's transactions, so a charge outlives
 * the platform's rollback exactly as a real provider's would.
 */
@Injectable()
export class PostgresMockGatewayStore implements MockGatewayStore, OnApplicationShutdown {
  private readonly pool: pg.Pool;

  constructor(config: AppConfig) {
    this.pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 4 });
    this.pool.on('error', () => undefined); // an idle connection dropped: the next query reconnects
  }

  async putIfAbsent(key: string, record: ChargeRecord): Promise<ChargeRecord> {
    const { rows } = await this.pool.query<ChargeRow>(
      `with put as (
         insert into mock_gateway.charges (idempotency_key, id, status, failure_code, amount, currency)
         values ($1, $2, $3, $4, $5, $6) on conflict (idempotency_key) do nothing
         returning id, status, failure_code, amount, currency, refunded_at)
       select * from put
       union all
       select id, status, failure_code, amount, currency, refunded_at from mock_gateway.charges
        where idempotency_key = $1 and not exists (select from put)`,
      [key, record.id, record.status, record.failureCode, record.amount.toString(), record.currency],
    );
    // A concurrent first write commits after this statement's snapshot: read it with a new one.
    return rows[0] ? fromRow(rows[0]) : (await this.get(key))!;
  }

  async get(key: string): Promise<ChargeRecord | null> {
    const { rows } = await this.pool.query<ChargeRow>(
      'select id, status, failure_code, amount, currency, refunded_at from mock_gateway.charges where idempotency_key = $1',
      [key],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async markRefunded(key: string): Promise<void> {
    await this.pool.query(
      `update mock_gateway.charges set refunded_at = now() where idempotency_key = $1 and status = 'succeeded' and refunded_at is null`,
      [key],
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
