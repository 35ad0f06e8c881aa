/**
 * What a new password must be, beyond its length (checked by the DTOs): not made of spaces, not
 * the account's email or name, and not easy to guess. "Easy" is zxcvbn's estimate (a bundled list
 * of ~40,000 common and breached passwords, keyboard walks, sequences, dates, repeats, l33t) — a
 * maintained estimator instead of a hand-kept list. Pure: no I/O.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/** zxcvbn score 3: about 10^8 guesses or more ("safely unguessable" for an online, throttled attack). */
export const MIN_PASSWORD_SCORE = 3;
/**
 * Only the start of a password is estimated: zxcvbn's matching grows faster than linearly with
 * length, and a start this long that is strong keeps the whole password strong.
 */
export const ESTIMATED_LENGTH = 64;
/** A name shorter than this may legitimately occur inside a password. */
const MIN_PERSONAL_LENGTH = 4;

const zxcvbn = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });

export interface PasswordOwner {
  email: string;
  name: string;
}

/** Why `password` is refused for this account, or null when it is acceptable. */
export function passwordWeakness(password: string, owner: PasswordOwner): string | null {
  if (password.trim() === '') return 'must not be only spaces';
  const lower = password.toLowerCase();
  const email = owner.email.trim().toLowerCase();
  const local = email.split('@')[0] ?? '';
  const name = owner.name.trim().toLowerCase().replace(/\s+/g, ' ');
  // The local part alone is left to the estimator (below): "admin" or "info" inside a long passphrase is fine.
  if (lower.includes(email)) return 'must not contain your email address';
  if (name.length >= MIN_PERSONAL_LENGTH && (lower.includes(name) || lower.includes(name.replace(/ /g, '')))) {
    return 'must not contain your name';
  }
  const { score } = zxcvbn.check(password.slice(0, ESTIMATED_LENGTH), [email, local, ...name.split(' ')]);
  if (score < MIN_PASSWORD_SCORE) return 'is too common or too easy to guess; use a longer passphrase';
  return null;
}
