import { slugify } from './slug.rules.js';

describe('slugify', () => {
  it('makes a readable, URL-safe slug with a random suffix', () => {
    expect(slugify('Acme Corp, Inc.')).toMatch(/^acme-corp-inc-[0-9a-f]{6}$/);
    expect(slugify('Ünïcödé   Name')).toMatch(/^unicode-name-[0-9a-f]{6}$/);
    expect(slugify('!!!')).toMatch(/^tenant-[0-9a-f]{6}$/);
    expect(slugify('x'.repeat(100)).length).toBeLessThanOrEqual(47);
  });
});
