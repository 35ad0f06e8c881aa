import fc from 'fast-check';
import { canonical, requestHash } from './idempotency.service.js';

/** The recursive definition the iterative `canonical` must match byte for byte (stored hashes stay valid). */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

describe('requestHash', () => {
  const key = Buffer.from('k');
  const requestHashK = (m: string, p: string, b: unknown) => requestHash(key, m, p, b);

  it('depends on the server key', () => {
    expect(requestHash(Buffer.from('other'), 'POST', '/v1/x', {})).not.toBe(requestHashK('POST', '/v1/x', {}));
  });

  it('ignores key order but not values, method or path', () => {
    const base = requestHashK('POST', '/v1/tenants', { name: 'A', extra: { x: 1, y: [1, 2] } });
    expect(requestHashK('POST', '/v1/tenants', { extra: { y: [1, 2], x: 1 }, name: 'A' })).toBe(base);
    expect(requestHashK('POST', '/v1/tenants', { name: 'B', extra: { x: 1, y: [1, 2] } })).not.toBe(base);
    expect(requestHashK('POST', '/v1/tenants', { name: 'A', extra: { x: 1, y: [2, 1] } })).not.toBe(base);
    expect(requestHashK('POST', '/v1/members', { name: 'A', extra: { x: 1, y: [1, 2] } })).not.toBe(base);
  });

  it('writes canonical JSON exactly as the recursive definition does', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => canonical(value) === reference(value)));
    expect(canonical({ b: [1, { d: null, c: 'x' }], a: {} })).toBe('{"a":{},"b":[1,{"c":"x","d":null}]}');
  });

  it('hashes a body of any depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
    expect(requestHashK('POST', '/v1/x', deep)).toMatch(/^[0-9a-f]{64}$/);
  });
});
