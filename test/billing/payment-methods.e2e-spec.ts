import { createHash } from 'node:crypto';
import { ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  addMember,
  CARDS,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  TenantWithAdmin,
} from '../support/factories.js';

/** Payment methods (API.md, Billing): mock cards, only brand/last4/expiry stored, the newest is the default. */
describe('payment methods', () => {
  let t: TestApp;
  let adminToken: string;
  beforeAll(async () => {
    t = await startTestApp({ CLOCK_CONTROL: 'true' });
    adminToken = (await createPlatformAdmin(t)).token;
  });
  afterAll(() => t.close());

  const list = async (tenant: TenantWithAdmin) => {
    const res = await t.api.get('/v1/payment-methods', as(tenant));
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    return res.body.data as any[];
  };

  it('adds a card: 201 with brand, last4, expiry and isDefault, nothing more', async () => {
    const tenant = await createTenantWithAdmin(t.api, 'Cards Inc');
    const res = await t.api.post('/v1/payment-methods', { cardNumber: CARDS.ok, expMonth: 7, expYear: 2031 }, as(tenant));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      brand: 'visa',
      last4: '4242',
      expMonth: 7,
      expYear: 2031,
      isDefault: true,
      createdAt: expect.any(String),
    });
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    expect(await list(tenant)).toEqual([res.body]);
  });

  it('makes the newest card the default (list newest first, one isDefault)', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const first = await addCard(t.api, tenant, CARDS.ok);
    const second = await addCard(t.api, tenant, CARDS.declined);
    const third = await addCard(t.api, tenant, CARDS.insufficient);
    expect(third).toMatchObject({ brand: 'visa', last4: '9995', isDefault: true });
    const cards = await list(tenant);
    expect(cards.map((c) => [c.id, c.last4, c.isDefault])).toEqual([
      [third.id, '9995', true],
      [second.id, '0002', false],
      [first.id, '4242', false],
    ]);
    // A list in API.md's shape: pages of { data, nextCursor }; the default is flagged on page 1 only.
    const page1 = await t.api.get('/v1/payment-methods?limit=2', as(tenant));
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((c: any) => [c.id, c.isDefault])).toEqual([
      [third.id, true],
      [second.id, false],
    ]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await t.api.get(`/v1/payment-methods?limit=2&cursor=${page1.body.nextCursor}`, as(tenant));
    expect(page2.body).toEqual({ data: [expect.objectContaining({ id: first.id, isDefault: false })], nextCursor: null });
    expectProblem(await t.api.get('/v1/payment-methods?limit=0', as(tenant)), 400, 'validation_failed');
  });

  it('refuses invalid cards with 400 validation_failed naming the field, and stores nothing', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const thisYear = new Date().getUTCFullYear();
    const cases: [string, Record<string, unknown>, string][] = [
      ['bad Luhn', { cardNumber: '4242424242424241', expMonth: 12, expYear: 2099 }, 'cardNumber'],
      ['15 digits with letters', { cardNumber: '4242abc42424242', expMonth: 12, expYear: 2099 }, 'cardNumber'],
      ['expired last year', { cardNumber: CARDS.ok, expMonth: 12, expYear: thisYear - 1 }, 'expYear'],
      ['month 13', { cardNumber: CARDS.ok, expMonth: 13, expYear: 2099 }, 'expMonth'],
      ['unknown field cvc', { cardNumber: CARDS.ok, expMonth: 12, expYear: 2099, cvc: '123' }, 'cvc'],
      ['missing number', { expMonth: 12, expYear: 2099 }, 'cardNumber'],
    ];
    for (const [label, body, field] of cases) {
      const res = await t.api.post('/v1/payment-methods', body, as(tenant));
      expectProblem(res, 400, 'validation_failed');
      expect({ label, fields: (res.body.errors ?? []).map((e: { field: string }) => e.field) }).toEqual({
        label,
        fields: expect.arrayContaining([field]),
      });
      for (const e of res.body.errors) expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
    }
    expect(await list(tenant)).toEqual([]);
    expect(await ownerQuery(t, 'select id from payment_methods where tenant_id = $1', [tenant.tenantId])).toEqual([]);
  });

  it('judges expiry by the application clock', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    // Valid by the real date, expired once business time has moved to 2030.
    expect(
      (await t.api.post('/v1/payment-methods', { cardNumber: CARDS.ok, expMonth: 12, expYear: 2029 }, as(tenant))).status,
    ).toBe(201);
    const moved = await t.api.request('PUT', '/v1/admin/clock', { now: '2030-01-01T00:00:00Z' }, { token: adminToken });
    expect(moved.status).toBe(200);
    const res = await t.api.post('/v1/payment-methods', { cardNumber: CARDS.ok, expMonth: 12, expYear: 2029 }, as(tenant));
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ field: 'expYear', message: expect.any(String) }]);
    // The expiry month itself is still good.
    expect(
      (await t.api.post('/v1/payment-methods', { cardNumber: CARDS.ok, expMonth: 1, expYear: 2030 }, as(tenant))).status,
    ).toBe(201);
  });

  it('never stores the card number: only brand, last4, expiry and an opaque token', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    for (const number of Object.values(CARDS)) await addCard(t.api, tenant, number);
    const rows = await ownerQuery(t, 'select * from payment_methods where tenant_id = $1', [tenant.tenantId]);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['brand', 'created_at', 'deleted_at', 'exp_month', 'exp_year', 'id', 'last4', 'provider_token', 'tenant_id'].sort(),
      );
      expect(row.provider_token).toMatch(/^pm_mock_/);
      const text = JSON.stringify(row);
      for (const number of Object.values(CARDS)) {
        expect(text).not.toContain(number);
        // Nor a long run of its digits (first 6 + last 4 is the most a PCI-scoped system shows).
        expect(text).not.toContain(number.slice(0, 12));
      }
    }
    // Nowhere else either: every table of the database, as the owner.
    const tables = await ownerQuery<{ table_name: string }>(
      t,
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    expect(tables.length).toBeGreaterThan(5);
    for (const { table_name } of tables) {
      const [{ hits }] = await ownerQuery<{ hits: string }>(
        t,
        `select count(*) as hits from "${table_name}" x where x::text like any($1)`,
        [Object.values(CARDS).map((n) => `%${n}%`)],
      );
      expect({ table: table_name, hits: Number(hits) }).toEqual({ table: table_name, hits: 0 });
    }
  });

  /**
   * An Idempotency-Key stores a fingerprint of the body, card number included; it is keyed (HMAC
   * with a server secret), so the number cannot be guessed back from brand, last4 and expiry.
   */
  it('keeps no guessable digest of the card number with an Idempotency-Key', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const body = { cardNumber: CARDS.ok, expMonth: 12, expYear: 2099 };
    expect((await t.api.post('/v1/payment-methods', body, { ...as(tenant), idempotencyKey: 'pan-digest' })).status).toBe(201);
    const guess = createHash('sha256')
      .update(`POST /v1/payment-methods\n{"cardNumber":"${CARDS.ok}","expMonth":12,"expYear":2099}`)
      .digest('hex');
    expect(await ownerQuery(t, 'select key from idempotency_keys where request_hash = $1', [guess])).toEqual([]);
  });

  it('deletes a card: 204, then 404; deleting the default makes the previous card the default', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const older = await addCard(t.api, tenant, CARDS.ok);
    const newer = await addCard(t.api, tenant, CARDS.declined);
    const del = await t.api.delete(`/v1/payment-methods/${newer.id}`, as(tenant));
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expect((await list(tenant)).map((c) => [c.id, c.isDefault])).toEqual([[older.id, true]]);
    expectProblem(await t.api.delete(`/v1/payment-methods/${newer.id}`, as(tenant)), 404, 'not_found');
    expectProblem(await t.api.delete('/v1/payment-methods/00000000-0000-4000-8000-000000000000', as(tenant)), 404, 'not_found');
    expectProblem(await t.api.delete('/v1/payment-methods/not-a-uuid', as(tenant)), 400, 'validation_failed');
    expect((await t.api.delete(`/v1/payment-methods/${older.id}`, as(tenant))).status).toBe(204);
    expect(await list(tenant)).toEqual([]);
  });

  it("lets a tenant_user read the cards but not add or delete (403), and the tenant's cards are unchanged", async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const card = await addCard(t.api, tenant);
    const user = await addMember(t.api, tenant, 'tenant_user');
    const asUser = { token: user.token, tenant: tenant.tenantId };
    // API.md: reads need membership, writes need tenant_admin.
    expect((await t.api.get('/v1/payment-methods', asUser)).body.data.map((c: { id: string }) => c.id)).toEqual([card.id]);
    expectProblem(
      await t.api.post('/v1/payment-methods', { cardNumber: CARDS.ok, expMonth: 12, expYear: 2099 }, asUser),
      403,
      'forbidden',
    );
    expectProblem(await t.api.delete(`/v1/payment-methods/${card.id}`, asUser), 403, 'forbidden');
    expect((await list(tenant)).map((c) => c.id)).toEqual([card.id]);
    // And no one without a token.
    expectProblem(await t.api.get('/v1/payment-methods', { tenant: tenant.tenantId }), 401, 'unauthenticated');
  });

  it('replays an add with the same Idempotency-Key (one card), and refuses the key with another body', async () => {
    const tenant = await createTenantWithAdmin(t.api);
    const body = { cardNumber: CARDS.ok, expMonth: 12, expYear: 2099 };
    const first = await t.api.post('/v1/payment-methods', body, { ...as(tenant), idempotencyKey: 'card-1' });
    const again = await t.api.post('/v1/payment-methods', body, { ...as(tenant), idempotencyKey: 'card-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await list(tenant)).toHaveLength(1);
    expectProblem(
      await t.api.post(
        '/v1/payment-methods',
        { ...body, cardNumber: CARDS.declined },
        { ...as(tenant), idempotencyKey: 'card-1' },
      ),
      409,
      'idempotency_key_reused',
    );
  });
});
