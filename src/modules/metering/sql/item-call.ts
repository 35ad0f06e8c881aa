import { sqlFunction, type SqlFunction } from './sql-function.js';

/**
 * The calling convention of a metering function and of its batch, declared once: the function's
 * parameters in order, each taken from a field of an item (or, `now`, from the batch). From it
 * come the function's parameter list, the batch's jsonb item columns and its call of the function
 * per item, and what the application sends (one jsonb array for a batch, values for a single call).
 */
export interface ItemCall<T extends object> {
  /** `p_tenant uuid`, … for the function's declaration. */
  parameters: string[];
  /** A FROM item reading the batch's jsonb array (`items`) in order: one row per item, columns named as the item's fields. */
  rows(items: string): string;
  /** The arguments of one item's call: its fields from `row`, and `now`. */
  arguments(row: string, now: string): string;
  /** The batch's jsonb argument. */
  json(items: readonly T[]): string;
  /** The values of a single call, in parameter order. */
  values(item: T, now: Date): unknown[];
}

type Fields<T> = { [K in keyof T | 'now']-?: readonly [parameter: string, type: string] };

const quoted = (field: string) => `"${field}"`;
/** A bytea in jsonb: its hex input form. */
const toJson = (value: unknown) => (Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value);

export function itemCall<T extends object>(fields: Fields<T>): ItemCall<T> {
  const entries = Object.entries(fields) as [keyof T | 'now', readonly [string, string]][];
  const itemFields = entries.filter(([field]) => field !== 'now') as [keyof T & string, readonly [string, string]][];
  return {
    parameters: entries.map(([, [parameter, type]]) => `${parameter} ${type}`),
    rows: (items) =>
      `rows from (jsonb_to_recordset(${items}) as (${itemFields.map(([field, [, type]]) => `${quoted(field)} ${type}`).join(', ')}))` +
      ' with ordinality as item',
    arguments: (row, now) => entries.map(([field]) => (field === 'now' ? now : `${row}.${quoted(field as string)}`)).join(', '),
    json: (items) =>
      JSON.stringify(items.map((item) => Object.fromEntries(itemFields.map(([field]) => [field, toJson(item[field])])))),
    values: (item, now) => entries.map(([field]) => (field === 'now' ? now : item[field as keyof T])),
  };
}

/**
 * The batch of a metering function: one statement for the concurrent calls of one API process,
 * each item passed to `single` in order (one row per item, in order).
 */
export function batchFunction<T extends object>(
  name: string,
  single: string,
  call: ItemCall<T>,
  result: readonly string[],
): SqlFunction {
  return sqlFunction({
    name,
    parameters: ['p_items jsonb', 'p_real_now timestamptz'],
    returns: `table (${result.join(', ')})`,
    language: 'plpgsql',
    executeBy: ['eshtarek_api'],
    body: `
declare
  r record;
begin
  for r in select * from ${call.rows('p_items')} order by item.ordinality loop
    return query select * from ${single}(${call.arguments('r', 'p_real_now')});
  end loop;
end
`,
  });
}
