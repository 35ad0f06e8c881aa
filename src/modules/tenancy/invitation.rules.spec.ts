import { answer, expiryOf, isOpen } from './invitation.rules.js';

const now = new Date('2030-01-10T00:00:00Z');
const pending = { status: 'pending' as const, expiresAt: new Date('2030-01-17T00:00:00Z') };

describe('invitation rules', () => {
  it('expires after the configured days', () => {
    expect(expiryOf(now, 7).toISOString()).toBe('2030-01-17T00:00:00.000Z');
  });

  it('is open while pending and before its expiry', () => {
    expect(isOpen(pending, now)).toBe(true);
    expect(isOpen(pending, pending.expiresAt)).toBe(false);
    expect(isOpen({ ...pending, status: 'accepted' }, now)).toBe(false);
  });

  it('moves a pending invitation to the answer', () => {
    expect(answer(pending, 'accept', now)).toEqual({ ok: true, status: 'accepted' });
    expect(answer(pending, 'decline', now)).toEqual({ ok: true, status: 'declined' });
    expect(answer(pending, 'revoke', now)).toEqual({ ok: true, status: 'revoked' });
  });

  it('refuses to answer an answered, revoked or expired invitation', () => {
    for (const status of ['accepted', 'declined', 'revoked'] as const) {
      expect(answer({ ...pending, status }, 'accept', now)).toEqual({
        ok: false,
        reason: `This invitation was already ${status}`,
      });
    }
    expect(answer(pending, 'accept', new Date('2030-01-18T00:00:00Z'))).toEqual({
      ok: false,
      reason: 'This invitation has expired',
    });
  });
});
