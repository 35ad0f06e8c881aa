import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { MemberLimit } from '../tenancy/member-limit.port.js';
import { LIVE_STATUSES } from './subscription-state.rules.js';
import { Subscription } from './subscription.entity.js';
import { limitExceeded } from './subscriptions.errors.js';

/** The tenancy module's MemberLimit port: the live plan version's hard `max_users` limit. */
@Injectable()
export class PlanMemberLimit extends MemberLimit {
  constructor(private readonly em: EntityManager) {
    super();
  }

  async assertAllows(newCount: number): Promise<void> {
    const subscription = await this.em.findOne(
      Subscription,
      { status: { $in: [...LIVE_STATUSES] } },
      { populate: ['planVersion'] },
    );
    const limit = subscription?.planVersion.limits.find((l) => l.metric === 'max_users');
    if (!limit || limit.limit === null || limit.enforcement !== 'hard') return;
    if (newCount > limit.limit) throw limitExceeded('max_users', limit.limit, newCount - 1, 1, null);
  }
}
