import { Injectable } from '@nestjs/common';
import type { Caller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.service.js';
import { AuthService } from '../auth/auth.service.js';
import { MeDto } from '../auth/dto/auth.dto.js';
import { InvitationRepository } from './invitation.repository.js';
import { MembershipRepository } from './membership.repository.js';

/**
 * The signed-in account and where it belongs: auth answers for the account, tenancy for its
 * memberships and the invitations to its email (auth, below tenancy, reads neither).
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly auth: AuthService,
    private readonly memberships: MembershipRepository,
    private readonly invitations: InvitationRepository,
    private readonly clock: Clock,
  ) {}

  async me(caller: Caller): Promise<MeDto> {
    const user = await this.auth.account(caller);
    // Row-level security shows the caller's own memberships and invitations through app.user_id.
    const memberships = await this.memberships.ofAccount(user.id);
    const invitations = await this.invitations.openForAccount(this.clock.now());
    return {
      user,
      memberships,
      invitations: invitations.map((i) => ({ ...i, expiresAt: i.expiresAt.toISOString() })),
    };
  }
}
