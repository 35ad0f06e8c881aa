import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { Plan, PlanStatus } from './plan.entity.js';
import type { PlanTerms } from './plan-terms.rules.js';
import { PlanVersion } from './plan-version.entity.js';

/** Plans and their immutable versions (platform-wide: no tenant). Writes run on the platform path. */
@Injectable()
export class PlanRepository {
  constructor(private readonly em: EntityManager) {}

  /** A page of plans, oldest first; `status` narrows it (platform admins see archived plans too). */
  page(status: PlanStatus | undefined, query: PageQuery): Promise<Plan[]> {
    return this.em.find(
      Plan,
      { ...(status ? { status } : {}), ...afterCursor(query.cursor, 'asc') },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit + 1 },
    );
  }

  /** The page's answer: the next cursor is read back exactly (see entityPage). */
  toPage<T>(plans: Plan[], limit: number, map: (plan: Plan) => T): Promise<Page<T>> {
    return entityPage(this.em, Plan, plans, limit, map);
  }

  /** Active plans, oldest first (for upgrade options). */
  active(): Promise<Plan[]> {
    return this.em.find(Plan, { status: 'active' }, { orderBy: { createdAt: 'asc' } });
  }

  find(id: string): Promise<Plan | null> {
    return this.em.findOne(Plan, id);
  }

  /** The plan, locked for the rest of the transaction (concurrent edits queue behind it). */
  lock(id: string): Promise<Plan | null> {
    return this.em.findOne(Plan, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  currentVersion(plan: Plan): Promise<PlanVersion> {
    return this.em.findOneOrFail(PlanVersion, { plan, version: plan.currentVersion });
  }

  async currentVersions(plans: Plan[]): Promise<Map<string, PlanVersion>> {
    if (!plans.length) return new Map();
    const versions = await this.em.find(PlanVersion, { $or: plans.map((p) => ({ plan: p.id, version: p.currentVersion })) });
    return new Map(versions.map((v) => [v.plan.id, v]));
  }

  /** One version of the plan by its id (a cursor names the last version seen). */
  version(plan: Plan, id: string): Promise<PlanVersion | null> {
    return this.em.findOne(PlanVersion, { id, plan });
  }

  /** A page of the plan's versions after version number `after`, oldest first. */
  async versionsAfter<T>(plan: Plan, after: number, limit: number, map: (version: PlanVersion) => T): Promise<Page<T>> {
    const versions = await this.em.find(
      PlanVersion,
      { plan, version: { $gt: after } },
      { orderBy: { version: 'asc' }, limit: limit + 1 },
    );
    return entityPage(this.em, PlanVersion, versions, limit, map);
  }

  /** A new plan with its version 1, written at once; null when its code is taken. */
  async create(
    plan: { code: string; name: string; description: string; now: Date },
    terms: PlanTerms,
  ): Promise<{ plan: Plan; version: PlanVersion } | null> {
    const created = this.em.create(Plan, {
      code: plan.code,
      name: plan.name,
      description: plan.description,
      status: 'active',
      currentVersion: 1,
      createdAt: plan.now,
      updatedAt: plan.now,
    });
    const version = this.em.create(PlanVersion, { plan: created, version: 1, ...terms, createdAt: plan.now });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
    return { plan: created, version };
  }

  /** The plan's next version with `terms`, written at the next flush. */
  publish(plan: Plan, terms: PlanTerms, now: Date): PlanVersion {
    plan.currentVersion += 1;
    return this.em.create(PlanVersion, { plan, version: plan.currentVersion, ...terms, createdAt: now });
  }

  /** Writes the changes made to the loaded plans (and new versions). */
  flush(): Promise<void> {
    return this.em.flush();
  }
}
