import { API_KEY_PATTERN } from '../../common/auth/api-key-authenticator.js';
import {
  generateApiKey,
  hashApiKey,
  maskedKey,
  parseApiKey,
  PREFIX_LENGTH,
  randomBase62,
  SECRET_ENTROPY_BITS,
  SECRET_LENGTH,
} from './api-key-secret.rules.js';

describe('API key secrets', () => {
  it('have at least 192 bits of entropy in the secret part', () => {
    expect(SECRET_ENTROPY_BITS).toBeGreaterThanOrEqual(192);
    expect(SECRET_ENTROPY_BITS).toBeGreaterThan(256 - 1);
  });

  it('are sk_<mode>_ + prefix + secret, parse back, and hash to 32 bytes', () => {
    for (const mode of ['test', 'live'] as const) {
      const key = generateApiKey(mode);
      expect(key.secret).toMatch(new RegExp(`^sk_${mode}_[0-9A-Za-z]{${PREFIX_LENGTH + SECRET_LENGTH}}$`));
      expect(API_KEY_PATTERN.test(key.secret)).toBe(true);
      expect(parseApiKey(key.secret)).toEqual({ mode, prefix: key.prefix });
      expect(key.secret.startsWith(`sk_${mode}_${key.prefix}`)).toBe(true);
      expect(key.last4).toBe(key.secret.slice(-4));
      expect(key.hash).toEqual(hashApiKey(key.secret));
      expect(key.hash).toHaveLength(32);
      expect(maskedKey(mode, key.prefix, key.last4)).toBe(`sk_${mode}_${key.prefix}…${key.last4}`);
    }
  });

  it('differ every time', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey('live').secret));
    const prefixes = new Set([...keys].map((k) => parseApiKey(k)!.prefix));
    expect(keys.size).toBe(2000);
    expect(prefixes.size).toBe(2000);
  });

  it('refuses anything that is not a well-formed key', () => {
    const good = generateApiKey('test').secret;
    for (const bad of [
      '',
      'sk_test_',
      good.slice(0, -1),
      `${good}x`,
      good.replace('sk_test_', 'sk_prod_'),
      good.replace('sk_test_', 'pk_test_'),
      `${good.slice(0, -1)}-`,
      ` ${good}`,
      'eyJhbGciOiJIUzI1NiJ9.e30.x',
    ]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('draws base62 characters without modulo bias (bytes ≥ 248 are skipped)', () => {
    // A source of 247, 248, 255, 0, 61, 62 … : 248 and 255 must be skipped.
    const bytes = [247, 248, 255, 0, 61, 62, 123, 185];
    const random = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => bytes[i % bytes.length]));
    expect(randomBase62(6, random)).toBe('z0z0zz');
    const counts = new Map<string, number>();
    for (const c of randomBase62(62 * 400)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(n).toBeGreaterThan(250);
  });
});
