import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROBLEM_TYPES, problemTypeUri } from './problem-types.js';
import { toProblem } from './problem-details.filter.js';
import { AppError } from './app-error.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every `[status, code]` the code base answers with: `new AppError(status, 'code', …)`, module error tables and the filter's HTTP fallbacks. */
function usedCodes(): Array<[number, string]> {
  const used = new Map<string, number>();
  for (const file of sources(join(process.cwd(), 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new AppError\(\s*(\d{3}),\s*'([a-z_]+)'/g)) used.set(m[2], Number(m[1]));
    // A module's error table (moduleErrors): `{ status: 404, code: 'not_found', … }`.
    for (const m of text.matchAll(/status: (\d{3}),\s*code: '([a-z_]+)'/g)) used.set(m[2], Number(m[1]));
    if (file.endsWith('problem-details.filter.ts')) {
      for (const m of text.matchAll(/(\d{3}): \['([a-z_]+)'/g)) used.set(m[2], Number(m[1]));
      for (const m of text.matchAll(/\['(bad_request)'/g)) used.set(m[1], 400);
    }
  }
  return [...used].map(([code, status]) => [status, code]);
}

describe('the error catalogue', () => {
  it('lists each code once', () => {
    const codes = PROBLEM_TYPES.map((p) => p.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(usedCodes())('has the %s code %p the API answers with', (status, code) => {
    expect(PROBLEM_TYPES.find((p) => p.code === code)).toMatchObject({ status, code, meaning: expect.any(String) });
  });

  it('is what every problem type points at', () => {
    expect(toProblem(new AppError(409, 'conflict', 'Conflict'), 'r').problem.type).toBe('/problems/conflict');
    expect(toProblem(new Error('boom'), 'r').problem.type).toBe(problemTypeUri('internal'));
  });
});
