import { decodeCursor, encodeCursor, toPage } from './pagination.js';
import { AppError } from '../errors/app-error.js';

describe('cursor pagination', () => {
  it('round-trips a keyset through an opaque cursor', () => {
    const keyset = { at: '2030-01-01T00:00:00.000123Z', id: '0190c7b2-0000-7000-8000-000000000001' };
    const forged = [
      ['x', 'y'],
      [keyset.at, 'not-a-uuid'],
      ['not-a-date', keyset.id],
      ['2030-01-01T00:00:00.000Z', keyset.id],
      ['+275760-09-13T00:00:00.000000Z', keyset.id],
      ['0000-01-01T00:00:00.000000Z', keyset.id],
      ['2031-02-29T00:00:00.000000Z', keyset.id],
      ['2030-01-01T24:00:00.000000Z', keyset.id],
    ];
    expect(decodeCursor(encodeCursor({ ...keyset, at: '2032-02-29T23:59:59.999999Z' }))?.at).toBe('2032-02-29T23:59:59.999999Z');
    for (const f of forged) expect(() => decodeCursor(Buffer.from(JSON.stringify(f)).toString('base64url'))).toThrow(AppError);
    expect(decodeCursor(encodeCursor(keyset))).toEqual(keyset);
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuses cursors it did not issue with a validation error', () => {
    for (const bad of ['nope', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(AppError);
    }
  });

  it('uses the extra row only to announce the next page', () => {
    const id = (n: number) => `0190c7b2-0000-7000-8000-00000000000${n}`;
    const rows = [1, 2, 3].map((n) => ({ n, id: id(n), at: `2030-01-0${n}T00:00:00.000000Z` }));
    const page = toPage(
      rows,
      2,
      (r) => ({ at: r.at, id: r.id }),
      (r) => r.n,
    );
    expect(page.data).toEqual([1, 2]);
    expect(decodeCursor(page.nextCursor!)).toEqual({ at: '2030-01-02T00:00:00.000000Z', id: id(2) });
    expect(
      toPage(
        rows.slice(0, 2),
        2,
        (r) => ({ at: r.at, id: r.id }),
        (r) => r.n,
      ).nextCursor,
    ).toBeNull();
  });
});
