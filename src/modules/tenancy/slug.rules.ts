import { randomBytes } from 'node:crypto';

/** A readable, URL-safe slug for a tenant name, with a random suffix so names may repeat. */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .slice(0, 40)
    .replace(/^-|-$/g, '');
  return `${base || 'tenant'}-${randomBytes(3).toString('hex')}`;
}
