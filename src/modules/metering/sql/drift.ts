import type pg from 'pg';
import { METERING_FUNCTIONS, meteringFunctionsDigest } from './index.js';
import type { SqlFunction } from './sql-function.js';

/**
 * How a database's metering functions differ from their declarations (this folder); empty when
 * they match. Run as the database owner. For each function:
 * - its `pg_get_functiondef` must equal the one PostgreSQL gives after applying the declaration
 *   (applied in a transaction that is rolled back: PostgreSQL itself normalises both sides, so
 *   only a real difference of signature, result, attributes or body counts);
 * - EXECUTE only for the declared roles (never PUBLIC);
 * and no other function may carry a metering name (`meter_*`, or an overload of a declared one).
 */
export async function meteringFunctionDrift(client: pg.Client): Promise<string[]> {
  const problems: string[] = [];
  const expected = new Set<string>();
  for (const fn of METERING_FUNCTIONS) {
    const [{ oid }] = (await client.query<{ oid: string | null }>('select to_regprocedure($1)::oid::text as oid', [fn.signature]))
      .rows;
    if (oid === null) {
      problems.push(`${fn.signature}: missing`);
      continue;
    }
    expected.add(oid);
    const difference = await definitionDifference(client, fn, oid);
    if (difference) problems.push(`${fn.signature}: differs from its declaration\n${difference}`);
    const grantees = await executeGrantees(client, oid);
    const declared = [...fn.executeBy].sort();
    if (grantees.join() !== declared.join()) {
      problems.push(`${fn.signature}: EXECUTE granted to ${grantees.join(', ') || 'nobody'}, declared ${declared.join(', ')}`);
    }
  }
  const { rows } = await client.query<{ oid: string; signature: string }>(
    `select p.oid::text as oid, p.oid::regprocedure::text as signature from pg_proc p
      where p.pronamespace = 'public'::regnamespace and (p.proname like 'meter\\_%' or p.proname = any($1))
      order by 2`,
    [METERING_FUNCTIONS.map((fn) => fn.name)],
  );
  for (const row of rows) {
    if (!expected.has(row.oid))
      problems.push(`${row.signature}: not declared (an old overload, or a function defined elsewhere)`);
  }
  return problems;
}

async function functionDef(client: pg.Client, oid: string): Promise<string> {
  return (await client.query<{ def: string }>('select pg_get_functiondef($1) as def', [oid])).rows[0].def;
}

/** The first lines where the database's definition and the declared one differ; null when equal. */
async function definitionDifference(client: pg.Client, fn: SqlFunction, oid: string): Promise<string | null> {
  const actual = await functionDef(client, oid);
  let declared: string;
  await client.query('begin');
  try {
    await client.query(fn.definition);
    declared = await functionDef(client, oid);
  } catch (error) {
    return `  the declaration cannot replace it: ${(error as Error).message}`;
  } finally {
    await client.query('rollback');
  }
  if (actual === declared) return null;
  const a = actual.split('\n');
  const d = declared.split('\n');
  const line = a.findIndex((text, i) => text !== d[i]);
  const at = line === -1 ? a.length : line;
  return [
    `  line ${at + 1} of pg_get_functiondef:`,
    `  - database:    ${a[at] ?? '(end)'}`,
    `  + declaration: ${d[at] ?? '(end)'}`,
  ].join('\n');
}

async function executeGrantees(client: pg.Client, oid: string): Promise<string[]> {
  const { rows } = await client.query<{ grantee: string }>(
    `select coalesce(r.rolname, 'PUBLIC') as grantee
       from pg_proc p cross join lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
       left join pg_roles r on r.oid = a.grantee
      where p.oid = $1 and a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner
      order by 1`,
    [oid],
  );
  return rows.map((r) => r.grantee);
}

/** A migration that applies the metering functions, naming the digest of the definitions it was written for. */
export interface AppliesMeteringFunctions {
  meteringFunctions: string;
}

/**
 * Whether the last migration that applies the metering functions was written for the current
 * definitions. Migrating a new database always applies the current ones, so this is what notices
 * a definition changed without a migration to bring existing databases along.
 */
export function meteringMigrationDrift(migrations: readonly { name: string; class: unknown }[]): string[] {
  const applying = migrations.filter((m) => typeof (m.class as Partial<AppliesMeteringFunctions>).meteringFunctions === 'string');
  const last = applying.at(-1);
  const digest = meteringFunctionsDigest();
  if (!last) return [`no migration applies the metering functions (digest ${digest})`];
  const pinned = (last.class as AppliesMeteringFunctions).meteringFunctions;
  if (pinned === digest) return [];
  return [
    `the metering functions changed since ${last.name} applied them (written for ${pinned}, now ${digest}): ` +
      `add a migration that applies them (this.addSql(meteringFunctionsSql())) with static meteringFunctions = '${digest}'`,
  ];
}
