import type { PlanDto } from '../../sdk/index.js';
import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  addCard,
  addMember,
  CARDS,
  createPlan,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  fillPath,
  listRoutes,
  registerUser,
  RouteInfo,
  SignedIn,
  subscribe,
  TenantWithAdmin,
} from '../support/factories.js';

/** The tenant-scoped routes of the catalog, subscription and billing issue. */
const ISSUE_ROUTES = [
  'GET /v1/payment-methods',
  'POST /v1/payment-methods',
  'DELETE /v1/payment-methods/{id}',
  'GET /v1/invoices',
  'GET /v1/invoices/{id}',
  'POST /v1/invoices/{id}/pay',
  'GET /v1/payments',
  'GET /v1/subscription',
  'POST /v1/subscription',
  'POST /v1/subscription/preview',
  'POST /v1/subscription/change',
  'POST /v1/subscription/cancel',
  'POST /v1/subscription/resume',
  'GET /v1/subscriptions',
];

describe('billing and subscriptions: cross-tenant isolation over HTTP', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  let starter: PlanDto;
  let pro: PlanDto;
  let business: PlanDto;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    const admin = (await createPlatformAdmin(t)).token;
    starter = await createPlan(t.api, admin, { name: 'Starter', priceAmount: 1000 });
    pro = await createPlan(t.api, admin, { name: 'Pro', priceAmount: 3000 });
    business = await createPlan(t.api, admin, { name: 'Business', priceAmount: 5000 });
    const tenantRoutes = (await listRoutes(t.api)).filter((r) => r.tenant);
    routes = tenantRoutes.filter((r) => ISSUE_ROUTES.includes(`${r.method} ${r.path}`));
  });
  afterAll(() => t.close());

  interface World {
    a: TenantWithAdmin;
    b: TenantWithAdmin;
    bUser: SignedIn;
    outsider: SignedIn;
    aGoodCard: any;
    aDeclinedCard: any;
    aSubscriptionId: string;
    aPaidInvoiceId: string;
    aOpenInvoiceId: string;
    /** Strings only tenant A's data contains. */
    secrets: string[];
  }

  /**
   * A: on Pro after a failed upgrade charge (past_due, an open invoice INV-000002), with a good
   * and a declined card. B: its own admin, user and good card, on Starter.
   */
  async function world(): Promise<World> {
    const a = await createTenantWithAdmin(t.api, 'Alpha Billing Secret');
    const aGoodCard = await addCard(t.api, a, CARDS.ok);
    const aSub = await subscribe(t.api, a, starter.id);
    const aDeclinedCard = await addCard(t.api, a, CARDS.declined);
    const change = await t.api.post(
      '/v1/subscription/change',
      { planId: pro.id, timing: 'now' },
      { token: a.token, tenant: a.tenantId },
    );
    expect(change.status).toBe(200);
    await eventually(async () => {
      const res = await t.api.get('/v1/subscription', { token: a.token, tenant: a.tenantId });
      return res.body.status === 'past_due';
    });
    const invoices = await t.api.get('/v1/invoices', { token: a.token, tenant: a.tenantId });
    const [open, paid] = invoices.body.data;
    expect([open.status, paid.status]).toEqual(['open', 'paid']);

    const b = await createTenantWithAdmin(t.api, 'Bravo');
    const bUser = await addMember(t.api, b, 'tenant_user');
    await addCard(t.api, b, CARDS.ok);
    await subscribe(t.api, b, starter.id);
    const outsider = await registerUser(t.api, 'outsider');
    return {
      a,
      b,
      bUser,
      outsider,
      aGoodCard,
      aDeclinedCard,
      aSubscriptionId: aSub.id,
      aPaidInvoiceId: paid.id,
      aOpenInvoiceId: open.id,
      secrets: ['Alpha Billing Secret', a.email, a.userId, aGoodCard.id, aDeclinedCard.id, aSub.id, paid.id, open.id],
    };
  }

  /** Everything of a tenant that a cross-tenant call could change, read as the owner. */
  const snapshotOf = async (tenantId: string) => ({
    subscriptions: await ownerQuery(
      t,
      'select id, status, plan_version_id, cancel_at_period_end, scheduled_plan_version_id, updated_at from subscriptions where tenant_id = $1 order by id',
      [tenantId],
    ),
    cards: await ownerQuery(t, 'select id, deleted_at from payment_methods where tenant_id = $1 order by id', [tenantId]),
    invoices: await ownerQuery(t, 'select id, status, attempt_count, updated_at from invoices where tenant_id = $1 order by id', [
      tenantId,
    ]),
    payments: await ownerQuery(t, 'select id from payments where tenant_id = $1 order by id', [tenantId]),
    credit: await ownerQuery(t, 'select id from credit_ledger where tenant_id = $1 order by id', [tenantId]),
    counters: await ownerQuery(t, 'select name, value from tenant_counters where tenant_id = $1', [tenantId]),
  });

  const bodyFor = (route: RouteInfo, w: World): unknown => {
    if (route.method === 'GET' || route.method === 'DELETE') return undefined;
    switch (route.path) {
      case '/v1/payment-methods':
        return { cardNumber: CARDS.ok, expMonth: 12, expYear: 2099 };
      case '/v1/subscription':
        return { planId: business.id, paymentMethodId: w.aGoodCard.id };
      case '/v1/subscription/preview':
      case '/v1/subscription/change':
        return { planId: business.id, timing: 'now' };
      case '/v1/subscription/cancel':
        return { atPeriodEnd: false };
      default:
        return {};
    }
  };

  /** A's own ids that a path parameter could name. */
  const targetsFor = (route: RouteInfo, w: World): string[] =>
    !route.path.includes('{')
      ? ['']
      : route.path.startsWith('/v1/payment-methods')
        ? [w.aGoodCard.id, w.aDeclinedCard.id]
        : [w.aOpenInvoiceId, w.aPaidInvoiceId];

  it('covers every tenant-scoped route of the issue', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...ISSUE_ROUTES].sort());
  });

  it("refuses B's admin, B's user and an outsider on every route when they name tenant A (403 forbidden, no A data)", async () => {
    const w = await world();
    const before = await snapshotOf(w.a.tenantId);
    const bBefore = await snapshotOf(w.b.tenantId);
    for (const route of routes) {
      for (const [who, caller] of [
        ['B admin', w.b],
        ['B user', w.bUser],
        ['no tenant', w.outsider],
      ] as const) {
        for (const target of targetsFor(route, w)) {
          const res = await t.api.request(route.method, fillPath(route.path, target), bodyFor(route, w), {
            token: caller.token,
            tenant: w.a.tenantId,
          });
          const label = `${who}: ${route.method} ${route.path}`;
          expect({ label, status: res.status, code: res.body?.code }).toEqual({ label, status: 403, code: 'forbidden' });
          expect({ label, type: res.headers.get('content-type') }).toEqual({
            label,
            type: expect.stringMatching(/^application\/problem\+json/),
          });
          const text = JSON.stringify(res.body);
          for (const secret of w.secrets)
            expect({ label, leaks: text.includes(secret) ? secret : null }).toEqual({ label, leaks: null });
        }
      }
    }
    expect(await snapshotOf(w.a.tenantId)).toEqual(before);
    expect(await snapshotOf(w.b.tenantId)).toEqual(bBefore);
  });

  it("answers 404 when B's admin names A's invoices and cards from B's own context, and A is unchanged", async () => {
    const w = await world();
    const before = await snapshotOf(w.a.tenantId);
    const asB = { token: w.b.token, tenant: w.b.tenantId };
    const asA = { token: w.a.token, tenant: w.a.tenantId };
    const aViews = async () => ({
      cards: (await t.api.get('/v1/payment-methods', asA)).body,
      invoices: (await t.api.get('/v1/invoices', asA)).body,
      payments: (await t.api.get('/v1/payments', asA)).body,
      subscription: (await t.api.get('/v1/subscription', asA)).body,
    });
    const aViewsBefore = await aViews();
    const leakFree = (res: { body: unknown }) => {
      const text = JSON.stringify(res.body);
      for (const secret of w.secrets) expect(text).not.toContain(secret);
    };

    for (const invoiceId of [w.aOpenInvoiceId, w.aPaidInvoiceId]) {
      const get = await t.api.get(`/v1/invoices/${invoiceId}`, asB);
      expectProblem(get, 404, 'not_found');
      leakFree(get);
      // B has a good default card: a leak here would pay A's open invoice with B's card.
      const pay = await t.api.post(`/v1/invoices/${invoiceId}/pay`, {}, asB);
      expectProblem(pay, 404, 'not_found');
      leakFree(pay);
    }
    for (const card of [w.aGoodCard, w.aDeclinedCard]) {
      const del = await t.api.delete(`/v1/payment-methods/${card.id}`, asB);
      expectProblem(del, 404, 'not_found');
      leakFree(del);
    }

    // B cancels its own subscription now, then tries to subscribe with A's card: 404, nothing written.
    expect((await t.api.post('/v1/subscription/cancel', { atPeriodEnd: false }, asB)).status).toBe(200);
    const bBefore = await snapshotOf(w.b.tenantId);
    const sub = await t.api.post('/v1/subscription', { planId: pro.id, paymentMethodId: w.aGoodCard.id }, asB);
    expectProblem(sub, 404, 'not_found');
    leakFree(sub);
    expect(await snapshotOf(w.b.tenantId)).toEqual(bBefore);

    // B's own views show only B.
    const bViews = {
      cards: await t.api.get('/v1/payment-methods', asB),
      invoices: await t.api.get('/v1/invoices', asB),
      payments: await t.api.get('/v1/payments', asB),
      subscriptions: await t.api.get('/v1/subscriptions', asB),
    };
    expect(bViews.cards.body.data).toHaveLength(1);
    expect(bViews.invoices.body.data.map((i: any) => [i.number, i.status, i.totalAmount])).toEqual([
      ['INV-000001', 'paid', 1000],
    ]);
    expect(bViews.payments.body.data.map((p: any) => [p.invoiceNumber, p.status])).toEqual([['INV-000001', 'succeeded']]);
    expect(bViews.subscriptions.body.data.map((s: any) => s.status)).toEqual(['cancelled']);
    for (const res of Object.values(bViews)) {
      expect(res.status).toBe(200);
      for (const secret of w.secrets) expect(JSON.stringify(res.body)).not.toContain(secret);
    }

    // A is unchanged: through the API and in the database.
    expect(await aViews()).toEqual(aViewsBefore);
    expect(aViewsBefore.subscription).toMatchObject({ status: 'past_due', plan: { id: pro.id } });
    expect(await snapshotOf(w.a.tenantId)).toEqual(before);
  });
});
