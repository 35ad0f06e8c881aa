import { Injectable } from '@nestjs/common';
import type { RequiredEntityData } from '@mikro-orm/core';
import { EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { RENEWABLE_STATUSES } from './renewal.rules.js';
import { LIVE_STATUSES } from './subscription-state.rules.js';
import { Subscription } from './subscription.entity.js';

const POPULATE = ['plan', 'planVersion', 'planVersion.plan', 'scheduledPlanVersion', 'scheduledPlanVersion.plan'] as const;

/** renewal.rules.ts's "due" predicate as SQL over `subscriptions s` (its one other spelling, generated from the same list). */
const RENEWAL_DUE_SQL = `s.status in (${RENEWABLE_STATUSES.map((st) => `'${st}'`).join(', ')}) and s.current_period_end <= ?`;

/**
 * The live subscription as the API shows it, with its version's terms and the plans of its held and
 * scheduled versions: one statement, no entity hydration (the hot read of GET /v1/subscription).
 */
export interface LiveViewRow {
  id: string;
  status: Subscription['status'];
  billing_anchor: string | Date;
  payment_method_id: string | null;
  current_period_start: string | Date;
  current_period_end: string | Date;
  cancel_at_period_end: boolean;
  trial_end: string | Date | null;
  cycles_billed: number;
  cycles_on_version: number;
  ended_at: string | Date | null;
  ended_reason: string | null;
  created_at: string | Date;
  price_amount: string;
  currency: string;
  interval: Subscription['planVersion']['interval'];
  interval_count: number;
  limits: Subscription['planVersion']['limits'];
  plan: { id: string; code: string; name: string; version: number };
  scheduled_plan: { id: string; code: string; name: string; version: number } | null;
}

const LIVE_VIEW_SQL = `
  select s.id, s.status, s.billing_anchor, s.payment_method_id, s.current_period_start, s.current_period_end,
         s.cancel_at_period_end, s.trial_end, s.cycles_billed, s.cycles_on_version, s.ended_at, s.ended_reason,
         s.created_at, v.price_amount, v.currency, v.interval, v.interval_count, v.limits,
         json_build_object('id', p.id, 'code', p.code, 'name', p.name, 'version', v.version) as plan,
         case when sv.id is null then null
              else json_build_object('id', sp.id, 'code', sp.code, 'name', sp.name, 'version', sv.version) end as scheduled_plan
    from subscriptions s
    join plan_versions v on v.id = s.plan_version_id
    join plans p on p.id = v.plan_id
    left join plan_versions sv on sv.id = s.scheduled_plan_version_id
    left join plans sp on sp.id = sv.plan_id
   where s.tenant_id = ? and s.status in (${LIVE_STATUSES.map((st) => `'${st}'`).join(', ')})`;

/** A due subscription with its pinned and scheduled versions (`v_*`, `s_*` columns). */
export interface DueRow {
  id: string;
  tenant_id: string;
  status: Subscription['status'];
  cancel_at_period_end: boolean;
  billing_anchor: string;
  current_period_start: string;
  current_period_end: string;
  cycles_billed: number;
  cycles_on_version: number;
  payment_method_id: string | null;
  [column: `${'v' | 's'}_${string}`]: string | number | null;
}

/** A subscription's row after a renewal batch. */
export interface SubscriptionMove {
  id: string;
  tenant_id: string;
  status: string;
  plan_id: string;
  plan_version_id: string;
  billing_anchor: string;
  period_start: string;
  period_end: string;
  cycles_billed: number;
  cycles_on_version: number;
  ended_at: string | null;
  ended_reason: string | null;
  plan_code: string;
}

const versionColumns = (alias: 'v' | 's', version: string, plan: string) =>
  ['id', 'price_amount', 'currency', 'interval', 'interval_count', 'duration_cycles']
    .map((c) => `${version}.${c} as ${alias}_${c}`)
    .concat([`${plan}.id as ${alias}_plan_id`, `${plan}.code as ${alias}_plan_code`, `${plan}.name as ${alias}_plan_name`])
    .join(', ');

/** Due subscriptions with their pinned and scheduled versions, locked; rows other workers hold are skipped. */
const DUE_SQL = `
  select s.id, s.tenant_id, s.status, s.cancel_at_period_end, s.billing_anchor, s.current_period_start,
         s.current_period_end, s.cycles_billed, s.cycles_on_version, s.payment_method_id, ${versionColumns('v', 'v', 'p')}, ${versionColumns('s', 'sv', 'sp')}
    from subscriptions s
    join plan_versions v on v.id = s.plan_version_id
    join plans p on p.id = v.plan_id
    left join plan_versions sv on sv.id = s.scheduled_plan_version_id
    left join plans sp on sp.id = sv.plan_id
   where ${RENEWAL_DUE_SQL} and (?::uuid is null or s.id = ?)
   order by s.current_period_end
   limit ?
   for update of s skip locked`;

/** Writes every moved subscription back in one statement. */
const MOVE_SQL = `
  update subscriptions s
     set status = m.status, plan_id = m.plan_id, plan_version_id = m.plan_version_id, scheduled_plan_version_id = null,
         billing_anchor = m.billing_anchor, current_period_start = m.period_start, current_period_end = m.period_end,
         cycles_billed = m.cycles_billed, cycles_on_version = m.cycles_on_version, ended_at = m.ended_at,
         ended_reason = m.ended_reason, updated_at = ?
    from json_to_recordset(?::json) as m(id uuid, status text, plan_id uuid, plan_version_id uuid, billing_anchor timestamptz,
         period_start timestamptz, period_end timestamptz, cycles_billed int, cycles_on_version int, ended_at timestamptz,
         ended_reason text)
   where s.id = m.id`;

/** Subscriptions: the tenant's (request path) and the renewal worker's set-based reads and writes (platform path). */
@Injectable()
export class SubscriptionRepository {
  constructor(private readonly em: EntityManager) {}

  /** The tenant's live subscription, or null; `lock` takes its row lock for a change. */
  async findLive(tenantId: TenantId, lock = false): Promise<Subscription | null> {
    const where = { tenantId, status: { $in: [...LIVE_STATUSES] } };
    if (!lock) return this.em.findOne(Subscription, where, { populate: POPULATE, strategy: 'joined' });
    // FOR UPDATE cannot cover the nullable side of the joins: lock the row, then load its relations.
    const subscription = await this.em.findOne(Subscription, where, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (subscription) await this.em.populate(subscription, POPULATE);
    return subscription;
  }

  async liveView(tenantId: TenantId): Promise<LiveViewRow | null> {
    const [row] = await this.em.execute<LiveViewRow[]>(LIVE_VIEW_SQL, [tenantId]);
    return row ?? null;
  }

  async history(tenantId: TenantId, query: PageQuery): Promise<Page<Subscription>> {
    const rows = await this.em.find(
      Subscription,
      { tenantId, ...afterCursor(query.cursor, 'desc') },
      { populate: POPULATE, orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, Subscription, rows, query.limit, (s) => s);
  }

  /** Writes a new live subscription; null when the tenant already has one (the unique index decides). */
  async createLive(data: RequiredEntityData<Subscription>): Promise<Subscription | null> {
    const subscription = this.em.create(Subscription, data);
    try {
      await this.em.flush();
      return subscription;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
  }

  /** A subscription of the tenant under its row lock, freshly read. */
  lock(tenantId: TenantId, id: string): Promise<Subscription> {
    return this.em.findOneOrFail(Subscription, { tenantId, id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  /** Subscriptions that charged this card follow the tenant's default card from now on. */
  async forgetCard(tenantId: TenantId, paymentMethodId: string): Promise<void> {
    await this.em.nativeUpdate(Subscription, { tenantId, paymentMethodId }, { paymentMethodId: null });
  }

  /** Writes the changes made to loaded subscriptions (and whatever else the unit of work holds). */
  save(): Promise<void> {
    return this.em.flush();
  }

  /**
   * Records the tenant's one free trial as started now; false when it was used before. A single
   * conditional update, so two concurrent subscribes cannot both claim it.
   */
  async claimTrial(tenantId: TenantId, now: Date): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>(
      'update tenants set trial_started_at = ? where id = ? and trial_started_at is null returning id',
      [now, tenantId],
    );
    return rows.length === 1;
  }

  /** How many subscriptions are due across tenants (the scan; the platform path's `em`). */
  async countDue(em: EntityManager, now: Date): Promise<number> {
    const [row] = await em.execute<{ n: number }[]>(`select count(*)::int as n from subscriptions s where ${RENEWAL_DUE_SQL}`, [
      now,
    ]);
    return row.n;
  }

  /**
   * Up to `limit` due subscriptions (or only `subscriptionId`) with their versions, row-locked;
   * SKIP LOCKED, so concurrent workers split the work.
   */
  lockDue(em: EntityManager, now: Date, limit: number, subscriptionId: string | null): Promise<DueRow[]> {
    return em.execute<DueRow[]>(DUE_SQL, [now, subscriptionId, subscriptionId, limit]);
  }

  moveAll(em: EntityManager, now: Date, moves: SubscriptionMove[]): Promise<unknown> {
    return em.execute(MOVE_SQL, [now, JSON.stringify(moves)]);
  }
}
