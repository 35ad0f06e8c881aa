import { Injectable } from '@nestjs/common';
import { EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { afterCursor, decodeCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { PlatformAccess } from '../audit/platform-access.service.js';
import { PoliciesService } from '../policies/policies.service.js';
import { CreatePlanDto, PlanDto, PlanQuery, PlanVersionDto, UpdatePlanDto } from './dto/plan.dto.js';
import { Plan } from './plan.entity.js';
import { PlanVersion } from './plan-version.entity.js';
import { PlanLimit, PlanTerms, termsChanged } from './plan-terms.rules.js';
import { PlanErrorCode, PlanErrors } from './plans.errors.js';

/**
 * The plan catalog. A plan's commercial terms live in immutable versions: an edit of price,
 * currency, interval, trial, duration or limits publishes the next version; name and description
 * edit the plan itself. Subscriptions point at the version they bought.
 */
@Injectable()
export class PlansService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly context: RequestContext,
    private readonly policies: PoliciesService,
    private readonly audit: AuditService,
    private readonly platform: PlatformAccess,
  ) {}

  private get isPlatformAdmin(): boolean {
    return this.context.actorOrNull?.isPlatformAdmin ?? false;
  }

  async list(query: PlanQuery): Promise<Page<PlanDto>> {
    const status = this.isPlatformAdmin ? query.status : 'active';
    const plans = await this.em.find(
      Plan,
      {
        ...(status ? { status } : {}),
        ...afterCursor(query.cursor, 'asc'),
      },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit + 1 },
    );
    const versions = await this.currentVersions(plans);
    return entityPage(this.em, Plan, plans, query.limit, (p) => PlanDto.from(p, versions.get(p.id)!));
  }

  async get(id: string): Promise<PlanDto> {
    const plan = await this.loadVisible(id);
    return PlanDto.from(plan, await this.currentVersion(plan));
  }

  /** Every published version, oldest first, as a page; the cursor names the last version seen. */
  async versions(id: string, query: PageQuery): Promise<Page<PlanVersionDto>> {
    const plan = await this.loadVisible(id);
    const after = decodeCursor(query.cursor);
    let from = 0;
    if (after) {
      const last = await this.em.findOne(PlanVersion, { id: after.id, plan });
      if (!last)
        throw PlanErrors.of(PlanErrorCode.InvalidVersionCursor, {
          errors: [{ field: 'cursor', message: 'cursor is not one this API issued for this plan' }],
        });
      from = last.version;
    }
    const versions = await this.em.find(
      PlanVersion,
      { plan, version: { $gt: from } },
      { orderBy: { version: 'asc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, PlanVersion, versions, query.limit, PlanVersionDto.from);
  }

  create(dto: CreatePlanDto): Promise<PlanDto> {
    return this.platform.write(async () => {
      const now = this.clock.realNow();
      const plan = this.em.create(Plan, {
        code: dto.code,
        name: dto.name,
        description: dto.description ?? '',
        status: 'active',
        currentVersion: 1,
        createdAt: now,
        updatedAt: now,
      });
      const version = this.em.create(PlanVersion, {
        plan,
        version: 1,
        ...(await this.terms(dto)),
        createdAt: now,
      });
      try {
        await this.em.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException)
          throw PlanErrors.of(PlanErrorCode.CodeTaken, { detail: `A plan with code ${dto.code} already exists` });
        throw error;
      }
      const after = PlanDto.from(plan, version);
      this.audit.record({ action: 'plan.created', targetType: 'plan', targetId: plan.id, tenantId: null, after });
      return after;
    });
  }

  update(id: string, dto: UpdatePlanDto): Promise<PlanDto> {
    return this.platform.write(async () => {
      const plan = await this.em.findOne(Plan, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!plan) throw PlanErrors.of(PlanErrorCode.PlanNotFound);
      const current = await this.currentVersion(plan);
      const before = PlanDto.from(plan, current);
      const now = this.clock.realNow();
      const renamed =
        (dto.name !== undefined && dto.name !== plan.name) ||
        (dto.description !== undefined && dto.description !== plan.description);
      if (dto.name !== undefined) plan.name = dto.name;
      if (dto.description !== undefined) plan.description = dto.description;

      const currentTerms: PlanTerms = {
        priceAmount: current.priceAmount,
        currency: current.currency,
        interval: current.interval,
        intervalCount: current.intervalCount,
        trialDays: current.trialDays,
        durationCycles: current.durationCycles,
        limits: current.limits,
      };
      const nextTerms = await this.terms(dto, currentTerms);
      const republish = termsChanged(currentTerms, nextTerms);
      // Nothing differs from what is stored: no write, no version, no audit entry.
      if (!renamed && !republish) return before;
      let version = current;
      if (republish) {
        plan.currentVersion += 1;
        version = this.em.create(PlanVersion, { plan, version: plan.currentVersion, ...nextTerms, createdAt: now });
      }
      plan.updatedAt = now;
      await this.em.flush();
      const after = PlanDto.from(plan, version);
      this.audit.record({
        action: version === current ? 'plan.updated' : 'plan.version_published',
        targetType: 'plan',
        targetId: plan.id,
        tenantId: null,
        before,
        after,
      });
      return after;
    });
  }

  archive(id: string): Promise<PlanDto> {
    return this.platform.write(async () => {
      const plan = await this.em.findOne(Plan, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!plan) throw PlanErrors.of(PlanErrorCode.PlanNotFound);
      if (plan.status === 'archived') throw PlanErrors.of(PlanErrorCode.AlreadyArchived);
      plan.status = 'archived';
      plan.updatedAt = this.clock.realNow();
      await this.em.flush();
      this.audit.record({
        action: 'plan.archived',
        targetType: 'plan',
        targetId: id,
        tenantId: null,
        before: { status: 'active' },
        after: { status: 'archived' },
      });
      return PlanDto.from(plan, await this.currentVersion(plan));
    });
  }

  /** The version a new subscription to this plan buys; archived or unknown plans cannot be bought. */
  async purchasableVersion(planId: string): Promise<PlanVersion> {
    const plan = await this.em.findOne(Plan, planId);
    if (!plan || plan.status !== 'active') {
      throw PlanErrors.of(PlanErrorCode.NotPurchasable, { errors: [{ field: 'planId', message: 'unknown or archived plan' }] });
    }
    return this.currentVersion(plan);
  }

  /** Active plans with their current versions (for upgrade options). */
  async activePlans(): Promise<PlanDto[]> {
    const plans = await this.em.find(Plan, { status: 'active' }, { orderBy: { createdAt: 'asc' } });
    const versions = await this.currentVersions(plans);
    return plans.map((p) => PlanDto.from(p, versions.get(p.id)!));
  }

  private async terms(dto: CreatePlanDto | UpdatePlanDto, base?: PlanTerms): Promise<PlanTerms> {
    const limits: PlanLimit[] =
      dto.policyIds === undefined
        ? (base?.limits ?? [])
        : (await this.policies.findMany(dto.policyIds)).map((p) => ({
            policyId: p.id,
            metric: p.metric,
            kind: p.kind,
            limit: p.limit,
            enforcement: p.enforcement,
            warningThresholds: p.warningThresholds,
          }));
    return {
      priceAmount: dto.priceAmount !== undefined ? BigInt(dto.priceAmount) : base!.priceAmount,
      currency: dto.currency ?? base!.currency,
      interval: dto.interval ?? base!.interval,
      intervalCount: dto.intervalCount ?? base?.intervalCount ?? 1,
      trialDays: dto.trialDays ?? base?.trialDays ?? 0,
      durationCycles: dto.durationCycles !== undefined ? dto.durationCycles : (base?.durationCycles ?? null),
      limits,
    };
  }

  private async loadVisible(id: string): Promise<Plan> {
    const plan = await this.em.findOne(Plan, id);
    if (!plan || (plan.status !== 'active' && !this.isPlatformAdmin)) throw PlanErrors.of(PlanErrorCode.PlanNotFound);
    return plan;
  }

  private async currentVersion(plan: Plan): Promise<PlanVersion> {
    return this.em.findOneOrFail(PlanVersion, { plan, version: plan.currentVersion });
  }

  private async currentVersions(plans: Plan[]): Promise<Map<string, PlanVersion>> {
    if (!plans.length) return new Map();
    const versions = await this.em.find(PlanVersion, { $or: plans.map((p) => ({ plan: p.id, version: p.currentVersion })) });
    return new Map(versions.map((v) => [v.plan.id, v]));
  }
}
