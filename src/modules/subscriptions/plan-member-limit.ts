import { Injectable } from '@nestjs/common';
import type { TenantId } from '../../common/auth/caller.js';
import { limitExceeded } from '../plans/plans.errors.js';
import { MemberLimit } from '../tenancy/member-limit.port.js';
import { SubscriptionRepository } from './subscription.repository.js';

/** The tenancy module's MemberLimit port: the live plan version's hard `max_users` limit. */
@Injectable()
export class PlanMemberLimit extends MemberLimit {
  constructor(private readonly subscriptions: SubscriptionRepository) {
    super();
  }

  async assertAllows(tenantId: TenantId, newCount: number): Promise<void> {
    const subscription = await this.subscriptions.findLive(tenantId);
    const limit = subscription?.planVersion.limits.find((l) => l.metric === 'max_users');
    if (!limit || limit.limit === null || limit.enforcement !== 'hard') return;
    if (newCount > limit.limit) {
      throw limitExceeded({ metric: 'max_users', limit: limit.limit, used: newCount - 1, requested: 1, resetsAt: null });
    }
  }
}
