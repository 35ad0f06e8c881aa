import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RedisClient } from '../../common/redis/redis.module.js';
import { brandOf, ChargeOutcomeCode, outcomeOf } from './cards.js';

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

/** A card payment provider (Stripe-like). The platform only ever stores its opaque tokens. */
export abstract class PaymentGateway {
  abstract tokenize(cardNumber: string): Promise<TokenizedCard>;
  abstract charge(request: ChargeRequest): Promise<ChargeResult>;
}

const CHARGE_TTL_SECONDS = 30 * 24 * 3600;

/**
 * The mock provider: outcomes follow API.md's test cards (the token carries the card's outcome,
 * as a real provider's card record would), and charges are idempotent per key across processes
 * (kept in Redis like a provider's own idempotency store).
 */
@Injectable()
export class MockPaymentGateway extends PaymentGateway {
  constructor(private readonly redis: RedisClient) {
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
    const key = `gateway:charge:${request.idempotencyKey}`;
    const outcome = /^pm_mock_(success|card_declined|insufficient_funds)_/.exec(request.token)?.[1] as
      ChargeOutcomeCode | undefined;
    const result: ChargeResult = {
      id: `ch_mock_${randomBytes(12).toString('hex')}`,
      status: outcome === 'success' ? 'succeeded' : 'failed',
      failureCode: outcome === 'success' ? null : (outcome ?? 'invalid_payment_method'),
    };
    const stored = await this.redis.set(key, JSON.stringify(result), 'EX', CHARGE_TTL_SECONDS, 'NX');
    if (stored === 'OK') return result;
    return JSON.parse((await this.redis.get(key))!) as ChargeResult;
  }
}
