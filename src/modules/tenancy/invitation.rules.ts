/** Invitation lifecycle: pure rules, no I/O. */
export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked';
export type InvitationAnswer = 'accept' | 'decline' | 'revoke';

export interface InvitationState {
  status: InvitationStatus;
  expiresAt: Date;
}

const OUTCOME: Record<InvitationAnswer, InvitationStatus> = { accept: 'accepted', decline: 'declined', revoke: 'revoked' };

/** Open: pending and not yet expired. Only an open invitation is listed or can be answered. */
export const isOpen = (invitation: InvitationState, now: Date): boolean =>
  invitation.status === 'pending' && invitation.expiresAt.getTime() > now.getTime();

/**
 * The status an answer moves an invitation to, or why it cannot: once answered, revoked or
 * expired an invitation is final (the admin invites again instead).
 */
export function answer(
  invitation: InvitationState,
  action: InvitationAnswer,
  now: Date,
): { ok: true; status: InvitationStatus } | { ok: false; reason: string } {
  if (invitation.status !== 'pending') return { ok: false, reason: `This invitation was already ${invitation.status}` };
  if (!isOpen(invitation, now)) return { ok: false, reason: 'This invitation has expired' };
  return { ok: true, status: OUTCOME[action] };
}

/** When an invitation made (or renewed) at `now` expires. */
export const expiryOf = (now: Date, ttlDays: number): Date => new Date(now.getTime() + ttlDays * 86_400_000);
