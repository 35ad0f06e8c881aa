import fc from 'fast-check';
import { INPUT_LIMITS, inputProblems, jsonNestsDeeperThan, tooDeepStandIn } from './input-limits.js';

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('inputProblems', () => {
  it('accepts ordinary input, surrogate pairs included', () => {
    expect(inputProblems({ name: 'Emoji 😀', items: [{ a: 1 }, null, true], n: 1.5 }, 'body')).toEqual([]);
    expect(inputProblems(undefined, 'body')).toEqual([]);
    expect(inputProblems(nested(INPUT_LIMITS.maxDepth), 'body')).toEqual([]);
  });

  it('refuses depth beyond the bound, at the path where it is crossed', () => {
    const errors = inputProblems({ x: nested(INPUT_LIMITS.maxDepth) }, 'body');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/nested deeper than 32 levels/);
    expect(inputProblems(nested(1_000_000), 'body')).toHaveLength(1);
  });

  it('refuses more fields than the bound, counting keys and elements over the whole input', () => {
    const wide = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, [1]]));
    expect(inputProblems(wide, 'query')).toEqual([{ field: 'query', message: 'the query has more than 1000 fields' }]);
    expect(
      inputProblems(
        Array.from({ length: 1000 }, () => 0),
        'body',
      ),
    ).toEqual([]);
  });

  it('names NUL characters and lone surrogates in values and keys, at most maxErrors of them', () => {
    expect(inputProblems({ a: [{ b: 'x\u0000' }], ['k\ud800']: 'ok', c: '\udc00' }, 'body')).toEqual([
      { field: 'k\ufffd', message: 'the name of k\ufffd contains an unpaired UTF-16 surrogate' },
      { field: 'a.0.b', message: 'a.0.b contains a NUL character' },
      { field: 'c', message: 'c contains an unpaired UTF-16 surrogate' },
    ]);
    expect(inputProblems('\u0000', 'body')).toEqual([{ field: 'body', message: 'body contains a NUL character' }]);
    expect(
      inputProblems(
        Array.from({ length: 100 }, () => '\u0000'),
        'body',
      ),
    ).toHaveLength(INPUT_LIMITS.maxErrors);
  });

  describe('jsonNestsDeeperThan (on the raw text)', () => {
    it('agrees with the depth of the parsed value, whatever the strings hold', () => {
      const depthOf = (value: unknown): number =>
        value && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
      fc.assert(
        fc.property(fc.json({ depthSize: 'large' }), fc.integer({ min: 0, max: 12 }), (text, max) => {
          expect(jsonNestsDeeperThan(text, max)).toBe(depthOf(JSON.parse(text)) > max);
        }),
      );
    });

    it('does not count brackets inside strings, escaped quotes included', () => {
      expect(jsonNestsDeeperThan('{"a":"[[[[\\"[[[{{{"}', 1)).toBe(false);
      expect(jsonNestsDeeperThan('{"a":"\\"}', 1)).toBe(false);
      expect(jsonNestsDeeperThan(`${'['.repeat(500_000)}${']'.repeat(500_000)}`, INPUT_LIMITS.maxDepth)).toBe(true);
    });

    it('hands on a stand-in that the parsed-value check refuses as too deep', () => {
      expect(inputProblems(tooDeepStandIn(), 'body')).toEqual([
        { field: expect.any(String), message: expect.stringContaining(`nested deeper than ${INPUT_LIMITS.maxDepth} levels`) },
      ]);
    });
  });
});
