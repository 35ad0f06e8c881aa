/**
 * A plpgsql/SQL function declared in TypeScript (after Immich's `registerFunction`): its current,
 * complete definition lives here; migrations apply it (`create or replace`), and
 * `npm run check:sql` / test/metering/sql-functions.e2e-spec.ts compare a migrated database's
 * `pg_get_functiondef` and grants with it.
 */
export interface SqlFunctionDeclaration {
  name: string;
  /** Parameters in order, as `p_name type`; output parameters as `out name type`. */
  parameters: readonly string[];
  /** The RETURNS clause (`text`, `table (…)`); omitted when output parameters make the result. */
  returns?: string;
  language: 'plpgsql' | 'sql';
  /** Omitted: volatile. */
  volatility?: 'stable' | 'immutable';
  /** Everything between the dollar quotes, verbatim (PostgreSQL keeps it as written). */
  body: string;
  /** The roles that may execute it; EXECUTE is revoked from PUBLIC. */
  executeBy: readonly string[];
}

export interface SqlFunction extends SqlFunctionDeclaration {
  /** The identity signature, as `regprocedure` reads it: `meter_used(uuid, uuid, timestamptz, text[])`. */
  signature: string;
  /** `create or replace function …`: the definition a migration applies. */
  definition: string;
  /** Revoke from PUBLIC, grant EXECUTE to `executeBy`. */
  grants: string;
}

export function sqlFunction(declaration: SqlFunctionDeclaration): SqlFunction {
  const { name, parameters, returns, language, volatility, body, executeBy } = declaration;
  const inputs = parameters.filter((p) => !/^out\s/i.test(p)).map((p) => p.trim().split(/\s+/).slice(1).join(' '));
  const signature = `${name}(${inputs.join(', ')})`;
  const definition = [
    `create or replace function ${name}(`,
    parameters.map((p) => `  ${p}`).join(',\n'),
    `)${returns ? ` returns ${returns}` : ''}`,
    `language ${language}${volatility ? ` ${volatility}` : ''} as $function$${body}$function$;`,
  ].join('\n');
  const grants = [
    `revoke all on function ${signature} from public;`,
    ...executeBy.map((role) => `grant execute on function ${signature} to ${role};`),
  ].join('\n');
  return { ...declaration, signature, definition, grants };
}
