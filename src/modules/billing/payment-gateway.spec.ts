import { ChargeRecord, MockGatewayStore, MockPaymentGateway } from './payment-gateway.js';

/** API.md's mock cards. */
const CARDS_FOR_TESTS = { ok: '4242424242424242', declined: '4000000000000002', insufficient: '4000000000009995' } as const;

/** The store's contract in memory: first write per key wins. */
function memoryStore(): MockGatewayStore {
  const charges = new Map<string, ChargeRecord>();
  return {
    async putIfAbsent(key, record) {
      if (!charges.has(key)) charges.set(key, record);
      return charges.get(key)!;
    },
    async get(key) {
      return charges.get(key) ?? null;
    },
    async markRefunded(key) {
      const charge = charges.get(key);
      if (charge?.status === 'succeeded') charge.refunded = true;
    },
  };
}

describe('MockPaymentGateway', () => {
  const gateway = () => new MockPaymentGateway(memoryStore());

  it('tokenizes without keeping the number: brand, last4 and an opaque token', async () => {
    for (const number of Object.values(CARDS_FOR_TESTS)) {
      const card = await gateway().tokenize(number);
      expect(card).toEqual({ token: expect.stringMatching(/^pm_mock_/), brand: 'visa', last4: number.slice(-4) });
      expect(card.token).not.toContain(number);
      expect(card.token).not.toContain(number.slice(0, 12));
    }
  });

  it.each([
    [CARDS_FOR_TESTS.ok, 'succeeded', null],
    [CARDS_FOR_TESTS.declined, 'failed', 'card_declined'],
    [CARDS_FOR_TESTS.insufficient, 'failed', 'insufficient_funds'],
  ])('charges %s: %s (%s)', async (number, status, failureCode) => {
    const g = gateway();
    const { token } = await g.tokenize(number);
    expect(await g.charge({ token, amount: 1500n, currency: 'USD', idempotencyKey: 'k1' })).toEqual({
      id: expect.stringMatching(/^ch_mock_/),
      status,
      failureCode,
    });
  });

  it('is idempotent per charge key: the same key answers the first result, another key charges again', async () => {
    const g = gateway();
    const good = await g.tokenize(CARDS_FOR_TESTS.ok);
    const bad = await g.tokenize(CARDS_FOR_TESTS.declined);
    const first = await g.charge({ token: good.token, amount: 1000n, currency: 'USD', idempotencyKey: 'inv-1:1' });
    expect(await g.charge({ token: good.token, amount: 1000n, currency: 'USD', idempotencyKey: 'inv-1:1' })).toEqual(first);
    // The key decides, as with a real provider: a retried request never produces a second charge.
    expect(await g.charge({ token: bad.token, amount: 1000n, currency: 'USD', idempotencyKey: 'inv-1:1' })).toEqual(first);
    const second = await g.charge({ token: good.token, amount: 1000n, currency: 'USD', idempotencyKey: 'inv-1:2' });
    expect(second.status).toBe('succeeded');
    expect(second.id).not.toBe(first.id);
  });

  it('refuses a token it did not issue', async () => {
    expect(await gateway().charge({ token: 'tok_forged', amount: 1n, currency: 'USD', idempotencyKey: 'x' })).toMatchObject({
      status: 'failed',
      failureCode: 'invalid_payment_method',
    });
  });

  it('answers what it charged under a key, and refunds a succeeded charge', async () => {
    const g = gateway();
    const { token } = await g.tokenize(CARDS_FOR_TESTS.ok);
    expect(await g.retrieve('k')).toBeNull();
    const charged = await g.charge({ token, amount: 2500n, currency: 'USD', idempotencyKey: 'k' });
    expect(await g.retrieve('k')).toEqual({ ...charged, amount: 2500n, currency: 'USD', refunded: false });
    await g.refund('k');
    expect(await g.retrieve('k')).toMatchObject({ status: 'succeeded', refunded: true });
  });
});
