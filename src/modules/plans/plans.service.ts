import { Injectable } from '@nestjs/common';
import type { Caller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { decodeCursor, Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { PlatformAccess } from '../audit/platform-access.service.js';
import { PoliciesService } from '../policies/policies.service.js';
import { CreatePlanDto, PlanDto, PlanQuery, PlanVersionDto, UpdatePlanDto } from './dto/plan.dto.js';
import type { Plan } from './plan.entity.js';
import type { PlanVersion } from './plan-version.entity.js';
import { PlanRepository } from './plan.repository.js';
import { PlanLimit, PlanTerms, termsChanged } from './plan-terms.rules.js';
import { PlanErrorCode, PlanErrors } from './plans.errors.js';

const isPlatformAdmin = (caller: Caller) => caller.actor?.isPlatformAdmin ?? false;

/**
 * The plan catalog. A plan's commercial terms live in immutable versions: an edit of price,
 * currency, interval, trial, duration or limits publishes the next version; name and description
 * edit the plan itself. Subscriptions point at the version they bought.
 */
@Injectable()
export class PlansService {
  constructor(
    private readonly plans: PlanRepository,
    private readonly clock: Clock,
    private readonly policies: PoliciesService,
    private readonly audit: AuditService,
    private readonly platform: PlatformAccess,
  ) {}

  /** Plans with their current versions; archived ones for platform admins only. */
  async list(caller: Caller, query: PlanQuery): Promise<Page<PlanDto>> {
    const status = isPlatformAdmin(caller) ? query.status : 'active';
    const plans = await this.plans.page(status, query);
    const versions = await this.plans.currentVersions(plans);
    return this.plans.toPage(plans, query.limit, (p) => PlanDto.from(p, versions.get(p.id)!));
  }

  async get(caller: Caller, id: string): Promise<PlanDto> {
    const plan = await this.loadVisible(caller, id);
    return PlanDto.from(plan, await this.plans.currentVersion(plan));
  }

  /** Every published version, oldest first, as a page; the cursor names the last version seen. */
  async versions(caller: Caller, id: string, query: PageQuery): Promise<Page<PlanVersionDto>> {
    const plan = await this.loadVisible(caller, id);
    const after = decodeCursor(query.cursor);
    let from = 0;
    if (after) {
      const last = await this.plans.version(plan, after.id);
      if (!last)
        throw PlanErrors.of(PlanErrorCode.InvalidVersionCursor, {
          errors: [{ field: 'cursor', message: 'cursor is not one this API issued for this plan' }],
        });
      from = last.version;
    }
    return this.plans.versionsAfter(plan, from, query.limit, PlanVersionDto.from);
  }

  create(caller: Caller, dto: CreatePlanDto): Promise<PlanDto> {
    return this.platform.write(caller, async () => {
      const terms = await this.terms(dto);
      const created = await this.plans.create(
        { code: dto.code, name: dto.name, description: dto.description ?? '', now: this.clock.realNow() },
        terms,
      );
      if (!created) throw PlanErrors.of(PlanErrorCode.CodeTaken, { detail: `A plan with code ${dto.code} already exists` });
      const { plan, version } = created;
      const after = PlanDto.from(plan, version);
      this.audit.record({ action: 'plan.created', targetType: 'plan', targetId: plan.id, tenantId: null, after });
      return after;
    });
  }

  update(caller: Caller, id: string, dto: UpdatePlanDto): Promise<PlanDto> {
    return this.platform.write(caller, async () => {
      const plan = await this.plans.lock(id);
      if (!plan) throw PlanErrors.of(PlanErrorCode.PlanNotFound);
      const current = await this.plans.currentVersion(plan);
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
      const version = republish ? this.plans.publish(plan, nextTerms, now) : current;
      plan.updatedAt = now;
      await this.plans.flush();
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

  archive(caller: Caller, id: string): Promise<PlanDto> {
    return this.platform.write(caller, async () => {
      const plan = await this.plans.lock(id);
      if (!plan) throw PlanErrors.of(PlanErrorCode.PlanNotFound);
      if (plan.status === 'archived') throw PlanErrors.of(PlanErrorCode.AlreadyArchived);
      plan.status = 'archived';
      plan.updatedAt = this.clock.realNow();
      await this.plans.flush();
      this.audit.record({
        action: 'plan.archived',
        targetType: 'plan',
        targetId: id,
        tenantId: null,
        before: { status: 'active' },
        after: { status: 'archived' },
      });
      return PlanDto.from(plan, await this.plans.currentVersion(plan));
    });
  }

  /** The version a new subscription to this plan buys; archived or unknown plans cannot be bought. */
  async purchasableVersion(planId: string): Promise<PlanVersion> {
    const plan = await this.plans.find(planId);
    if (!plan || plan.status !== 'active') {
      throw PlanErrors.of(PlanErrorCode.NotPurchasable, { errors: [{ field: 'planId', message: 'unknown or archived plan' }] });
    }
    return this.plans.currentVersion(plan);
  }

  /** Active plans with their current versions (for upgrade options). */
  async activePlans(): Promise<PlanDto[]> {
    const plans = await this.plans.active();
    const versions = await this.plans.currentVersions(plans);
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

  private async loadVisible(caller: Caller, id: string): Promise<Plan> {
    const plan = await this.plans.find(id);
    if (!plan || (plan.status !== 'active' && !isPlatformAdmin(caller))) throw PlanErrors.of(PlanErrorCode.PlanNotFound);
    return plan;
  }
}
