import { eventually, ownerQuery, startTestApp, TestApp } from '../support/app.js';
import {
  as,
  addCard,
  createPlan,
  createPlatformAdmin,
  createTenantWithAdmin,
  expectProblem,
  TenantWithAdmin,
} from '../support/factories.js';

/**
 * A charge is recorded before it is made (issue 10): the intent commits on its own connection
 * before the gateway is called, so a transaction that dies between the charge and its commit
 * leaves a trace; the worker's scan settles it with the gateway, refunding money nothing records.
 * The failure is injected as the database owner: a trigger that refuses this tenant's payments.
 */
/** One platform per describe: the reconciler's delay is a process setting. */
function platformWithFaults(reconcileAfterMs: string | undefined) {
  const ctx = {} as { t: TestApp; adminToken: string };

  beforeAll(async () => {
    ctx.t = await startTestApp(
      { CLOCK_CONTROL: 'true', ...(reconcileAfterMs ? { CHARGE_RECONCILE_AFTER_MS: reconcileAfterMs } : {}) },
      { worker: true },
    );
    ctx.adminToken = (await createPlatformAdmin(ctx.t)).token;
    await moveClock('2030-01-01T00:00:00Z');
    await ownerQuery(
      ctx.t,
      `create table payment_faults (tenant_id uuid primary key);
       create function refuse_payment() returns trigger language plpgsql as $$
       begin
         if exists (select from payment_faults where tenant_id = new.tenant_id) then
           raise exception 'injected fault: the database went away after the charge';
         end if;
         return new;
       end $$;
       create trigger refuse_payment before insert on payments for each row execute function refuse_payment();
       grant select on payment_faults to eshtarek_api, eshtarek_platform;`,
    );
  });
  afterAll(() => ctx.t.close());

  async function moveClock(now: string): Promise<void> {
    const res = await ctx.t.api.request('PUT', '/v1/admin/clock', { now }, { token: ctx.adminToken });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** The tenant's intents and the gateway's own record of each (the provider's side). */
  const ledger = (tenant: TenantWithAdmin) =>
    ownerQuery<{ charge_key: string; status: string; amount: string; charged: string | null; refunded: boolean | null }>(
      ctx.t,
      `select i.charge_key, i.status, i.amount, g.status as charged, g.refunded_at is not null as refunded
         from charge_intents i left join mock_gateway.charges g on g.idempotency_key = i.charge_key
        where i.tenant_id = $1 order by i.created_at`,
      [tenant.tenantId],
    );

  return { ctx, moveClock, ledger };
}

describe('charge intents: a charge nothing records is refunded (reconciler due at once)', () => {
  const platform = platformWithFaults('0');
  const { moveClock, ledger } = platform;
  let t: TestApp;
  let adminToken: string;
  beforeAll(() => {
    ({ t, adminToken } = platform.ctx);
  });

  it('a subscribe that dies after its charge leaves a pending intent; the scan refunds that charge; the retry is charged once', async () => {
    const plan = await createPlan(t.api, adminToken, { name: 'Intent', priceAmount: 2500 });
    const tenant = await createTenantWithAdmin(t.api);
    await addCard(t.api, tenant);
    await ownerQuery(t, 'insert into payment_faults values ($1)', [tenant.tenantId]);

    const failed = await t.api.post('/v1/subscription', { planId: plan.id }, as(tenant));
    expectProblem(failed, 500, 'internal');
    // Nothing of the request committed, but the intent did — and the gateway took the money.
    expect(await ownerQuery(t, 'select 1 from subscriptions where tenant_id = $1', [tenant.tenantId])).toEqual([]);
    const [lost] = await ledger(tenant);
    expect(lost).toMatchObject({ status: 'pending', amount: '2500', charged: 'succeeded', refunded: false });

    await ownerQuery(t, 'delete from payment_faults where tenant_id = $1', [tenant.tenantId]);
    // The next scan (a clock move runs one) settles it with the gateway: a refund.
    await moveClock('2030-01-01T01:00:00Z');
    const settled = await eventually(async () => {
      const [row] = await ledger(tenant);
      return row.status !== 'pending' && row;
    });
    expect(settled).toMatchObject({ charge_key: lost.charge_key, status: 'refunded', charged: 'succeeded', refunded: true });

    const retried = await t.api.post('/v1/subscription', { planId: plan.id }, as(tenant));
    expect(retried.status).toBe(201);
    const rows = await ledger(tenant);
    expect(rows.map((r) => [r.status, r.charged, r.refunded])).toEqual([
      ['refunded', 'succeeded', true],
      ['succeeded', 'succeeded', false],
    ]);
    // Money kept by the provider = money the database records as paid.
    const [paid] = await ownerQuery<{ sum: string }>(
      t,
      `select coalesce(sum(amount), 0)::text as sum from payments where tenant_id = $1 and status = 'succeeded'`,
      [tenant.tenantId],
    );
    expect(paid.sum).toBe('2500');
    const [payment] = await ownerQuery<{ charge_key: string }>(t, 'select charge_key from payments where tenant_id = $1', [
      tenant.tenantId,
    ]);
    expect(payment.charge_key).toBe(rows[1].charge_key);
  });
});

describe('charge intents: a retried renewal reuses its keys (reconciler after the default 15 minutes)', () => {
  const platform = platformWithFaults(undefined);
  const { moveClock, ledger } = platform;
  let t: TestApp;
  let adminToken: string;
  beforeAll(() => {
    ({ t, adminToken } = platform.ctx);
  });

  it('a renewal batch that dies after charging is billed again with the same keys: one charge per period', async () => {
    await moveClock('2031-01-01T00:00:00Z');
    const plan = await createPlan(t.api, adminToken, { name: 'Renewing', priceAmount: 900 });
    const tenant = await createTenantWithAdmin(t.api);
    await addCard(t.api, tenant);
    const sub = (await t.api.post('/v1/subscription', { planId: plan.id }, as(tenant))).body;
    await ownerQuery(t, 'insert into payment_faults values ($1)', [tenant.tenantId]);

    await moveClock('2031-02-01T00:00:01Z');
    // The batch charged, then died before committing: the period has not moved, the intent is pending.
    const pending = await eventually(async () => {
      const rows = await ledger(tenant);
      // The intent commits before the gateway is called: wait for the charge too.
      return rows.length === 2 && rows[1].status === 'pending' && rows[1].charged !== null && rows[1];
    });
    expect(pending).toMatchObject({ charged: 'succeeded', amount: '900' });
    const [{ current_period_end }] = await ownerQuery<{ current_period_end: Date }>(
      t,
      'select current_period_end from subscriptions where id = $1',
      [sub.id],
    );
    expect(current_period_end.toISOString()).toBe(sub.currentPeriodEnd);

    // Scans before the reconciler's time leave a fresh intent alone (its transaction may still commit).
    await moveClock('2031-02-01T00:01:00Z');
    expect((await ledger(tenant))[1].status).toBe('pending');
    // Recovered: the renewal runs again with the same key, and the gateway answers the same charge.
    await ownerQuery(t, 'delete from payment_faults where tenant_id = $1', [tenant.tenantId]);
    await moveClock('2031-02-01T00:05:00Z');
    const renewed = await eventually(async () => {
      const res = await t.api.get('/v1/subscription', as(tenant));
      return res.body.cyclesBilled === 2 && res.body;
    }, 20_000);
    expect(renewed.status).toBe('active');
    const rows = await ledger(tenant);
    // One gateway charge per period; the renewal's intent is settled by the payment, not refunded.
    expect(rows.map((r) => [r.status, r.charged, r.refunded])).toEqual([
      ['succeeded', 'succeeded', false],
      ['succeeded', 'succeeded', false],
    ]);
    const charges = await ownerQuery(t, 'select 1 from mock_gateway.charges where idempotency_key = any($1::text[])', [
      rows.map((r) => r.charge_key),
    ]);
    expect(charges).toHaveLength(2);
  });

  it('a subscribe retried with its Idempotency-Key after its transaction died reaches the same charge: one gateway charge', async () => {
    await moveClock('2032-01-01T00:00:00Z');
    const plan = await createPlan(t.api, adminToken, { name: 'Retried', priceAmount: 1200 });
    const tenant = await createTenantWithAdmin(t.api);
    await addCard(t.api, tenant);
    await ownerQuery(t, 'insert into payment_faults values ($1)', [tenant.tenantId]);
    const key = { ...as(tenant), idempotencyKey: 'subscribe-once' };

    expectProblem(await t.api.post('/v1/subscription', { planId: plan.id }, key), 500, 'internal');
    const [lost] = await ledger(tenant);
    expect(lost).toMatchObject({ status: 'pending', charged: 'succeeded' });

    await ownerQuery(t, 'delete from payment_faults where tenant_id = $1', [tenant.tenantId]);
    const retried = await t.api.post('/v1/subscription', { planId: plan.id }, key);
    expect(retried.status).toBe(201);
    const rows = await ledger(tenant);
    expect(rows.map((r) => [r.charge_key, r.status, r.refunded])).toEqual([[lost.charge_key, 'succeeded', false]]);
    const [payment] = await ownerQuery<{ charge_key: string; status: string }>(
      t,
      'select charge_key, status from payments where tenant_id = $1',
      [tenant.tenantId],
    );
    expect(payment).toEqual({ charge_key: lost.charge_key, status: 'succeeded' });
  });
});
