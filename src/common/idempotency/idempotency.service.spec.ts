import { requestHash } from './idempotency.service.js';

describe('requestHash', () => {
  it('ignores key order but not values, method or path', () => {
    const base = requestHash('POST', '/v1/tenants', { name: 'A', extra: { x: 1, y: [1, 2] } });
    expect(requestHash('POST', '/v1/tenants', { extra: { y: [1, 2], x: 1 }, name: 'A' })).toBe(base);
    expect(requestHash('POST', '/v1/tenants', { name: 'B', extra: { x: 1, y: [1, 2] } })).not.toBe(base);
    expect(requestHash('POST', '/v1/tenants', { name: 'A', extra: { x: 1, y: [2, 1] } })).not.toBe(base);
    expect(requestHash('POST', '/v1/members', { name: 'A', extra: { x: 1, y: [1, 2] } })).not.toBe(base);
  });
});
