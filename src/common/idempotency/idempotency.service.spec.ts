import { requestHash } from './idempotency.service.js';

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
});
