/**
 * A PostgreSQL array literal for a raw-query parameter (`?::uuid[]`): MikroORM expands JS arrays
 * into value lists, so arrays travel as one literal. Only for values that need no quoting
 * (UUIDs, integers).
 */
export function pgArray(values: readonly (string | number | bigint)[]): string {
  return `{${values.join(',')}}`;
}
