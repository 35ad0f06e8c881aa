/**
 * Tenant API key secrets: `sk_<mode>_<prefix><secret>`, where `prefix` (12 base62 characters,
 * random) finds the key and `secret` (43 base62 characters, 256 bits) proves it. Only the SHA-256
 * of the whole key is stored, with the prefix and the last four characters for display.
 */
import { createHash, randomBytes } from 'node:crypto';

export type ApiKeyMode = 'test' | 'live';
export const API_KEY_MODES: readonly ApiKeyMode[] = ['test', 'live'];

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const PREFIX_LENGTH = 12;
export const SECRET_LENGTH = 43;
/** Entropy of the secret part alone (the prefix is shown in listings, so it does not count). */
export const SECRET_ENTROPY_BITS = SECRET_LENGTH * Math.log2(ALPHABET.length);

const KEY = new RegExp(`^sk_(test|live)_([0-9A-Za-z]{${PREFIX_LENGTH}})[0-9A-Za-z]{${SECRET_LENGTH}}$`);

/**
 * `length` uniformly random base62 characters. Bytes ≥ 248 (= 4 × 62) are rejected, so that
 * `byte % 62` has no bias.
 */
export function randomBase62(length: number, random: (size: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface NewApiKey {
  /** The whole key: shown once, never stored. */
  secret: string;
  prefix: string;
  last4: string;
  hash: Buffer;
}

export function generateApiKey(mode: ApiKeyMode, random?: (size: number) => Buffer): NewApiKey {
  const prefix = randomBase62(PREFIX_LENGTH, random);
  const secret = `sk_${mode}_${prefix}${randomBase62(SECRET_LENGTH, random)}`;
  return { secret, prefix, last4: secret.slice(-4), hash: hashApiKey(secret) };
}

/** The mode and lookup prefix of a well-formed key; null for anything else. */
export function parseApiKey(secret: string): { mode: ApiKeyMode; prefix: string } | null {
  const match = KEY.exec(secret);
  return match ? { mode: match[1] as ApiKeyMode, prefix: match[2] } : null;
}

export function hashApiKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** How a key is shown after creation: its public start and its last four characters. */
export function maskedKey(mode: ApiKeyMode, prefix: string, last4: string): string {
  return `sk_${mode}_${prefix}…${last4}`;
}
