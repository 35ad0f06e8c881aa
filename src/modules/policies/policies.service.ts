import { Injectable } from '@nestjs/common';
import type { Caller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { Page } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { PlatformAccess } from '../audit/platform-access.service.js';
import { CreatePolicyDto, PolicyDto, PolicyQuery, UpdatePolicyDto } from './dto/policy.dto.js';
import { DEFAULT_WARNING_THRESHOLDS, kindOf } from './metrics.rules.js';
import type { Policy } from './policy.entity.js';
import { PolicyRepository } from './policy.repository.js';
import { PolicyErrorCode, PolicyErrors } from './policies.errors.js';

const sortThresholds = (t: number[]) => [...new Set(t)].sort((a, b) => a - b);
/** The name a policy gets when none is given; it follows later limit edits until a name is set. */
const defaultName = (metric: string, limit: number | null) => `${metric} ${limit === null ? 'unlimited' : `≤ ${limit}`}`;

/** The catalog of limit policies. Plans snapshot policies into their versions (see PlansService). */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly platform: PlatformAccess,
  ) {}

  list(query: PolicyQuery): Promise<Page<PolicyDto>> {
    return this.policies.page(query, PolicyDto.from);
  }

  async get(id: string): Promise<PolicyDto> {
    return PolicyDto.from(await this.load(id));
  }

  /** Policies by id, in the order asked; a missing id is a 400 naming it. */
  async findMany(ids: string[]): Promise<Policy[]> {
    const unique = [...new Set(ids)];
    const found = await this.policies.findMany(unique);
    const byId = new Map(found.map((p) => [p.id, p]));
    const missing = unique.filter((id) => !byId.has(id));
    if (missing.length) {
      throw PolicyErrors.of(PolicyErrorCode.UnknownPolicy, {
        detail: `Unknown policy: ${missing.join(', ')}`,
        errors: [{ field: 'policyIds', message: `unknown policy ${missing.join(', ')}` }],
      });
    }
    const metrics = new Set<string>();
    for (const p of found) {
      if (metrics.has(p.metric)) {
        throw PolicyErrors.of(PolicyErrorCode.DuplicateMetric, {
          detail: `Two policies limit ${p.metric}`,
          errors: [{ field: 'policyIds', message: `more than one policy for metric ${p.metric}` }],
        });
      }
      metrics.add(p.metric);
    }
    return unique.map((id) => byId.get(id)!);
  }

  create(caller: Caller, dto: CreatePolicyDto): Promise<PolicyDto> {
    return this.platform.write(caller, async () => {
      const policy = await this.policies.create({
        name: dto.name ?? defaultName(dto.metric, dto.limit),
        metric: dto.metric,
        kind: kindOf(dto.metric),
        limit: dto.limit,
        enforcement: dto.enforcement ?? 'hard',
        warningThresholds: sortThresholds(dto.warningThresholds ?? DEFAULT_WARNING_THRESHOLDS),
        now: this.clock.realNow(),
      });
      const after = PolicyDto.from(policy);
      this.audit.record({ action: 'policy.created', targetType: 'policy', targetId: policy.id, tenantId: null, after });
      return after;
    });
  }

  update(caller: Caller, id: string, dto: UpdatePolicyDto): Promise<PolicyDto> {
    return this.platform.write(caller, async () => {
      const policy = await this.load(id);
      const before = PolicyDto.from(policy);
      if (dto.name !== undefined) policy.name = dto.name;
      else if (dto.limit !== undefined && policy.name === defaultName(policy.metric, policy.limit))
        policy.name = defaultName(policy.metric, dto.limit);
      if (dto.limit !== undefined) policy.limit = dto.limit;
      if (dto.enforcement !== undefined) policy.enforcement = dto.enforcement;
      if (dto.warningThresholds !== undefined) policy.warningThresholds = sortThresholds(dto.warningThresholds);
      // Nothing differs from what is stored: no write, no audit entry.
      if (JSON.stringify({ ...PolicyDto.from(policy), updatedAt: null }) === JSON.stringify({ ...before, updatedAt: null }))
        return before;
      policy.updatedAt = this.clock.realNow();
      await this.policies.flush();
      const after = PolicyDto.from(policy);
      this.audit.record({ action: 'policy.updated', targetType: 'policy', targetId: id, tenantId: null, before, after });
      return after;
    });
  }

  private async load(id: string): Promise<Policy> {
    const policy = await this.policies.find(id);
    if (!policy) throw PolicyErrors.of(PolicyErrorCode.PolicyNotFound);
    return policy;
  }
}
