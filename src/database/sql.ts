/**
 * A PostgreSQL array literal for a raw-query parameter (`?::uuid[]`): MikroORM expands JS arrays
 * into value lists, so arrays travel as one literal. Only for values that need no quoting
 * (UUIDs, integers); null is an SQL NULL element.
 */
export function pgArray(values: readonly (string | number | bigint | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : v)).join(',')}}`;
}
