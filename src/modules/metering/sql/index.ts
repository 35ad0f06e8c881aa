import { createHash } from 'node:crypto';
import { apiKeyEnter } from './api-key-enter.js';
import { meterEntitlement, meterEntitlementBatch } from './meter-entitlement.js';
import { meterRecord, meterRecordBatch } from './meter-record.js';
import { meterUsage } from './meter-usage.js';
import { meterUsed } from './meter-used.js';
import type { SqlFunction } from './sql-function.js';

export { ENTITLEMENT_CALL, type EntitlementItem } from './meter-entitlement.js';
export { RECORD_CALL, type RecordItem } from './meter-record.js';
export type { Caller } from './caller.js';

/**
 * The metering functions: their one current definition each (this folder). Migrations apply them
 * (`meteringFunctionsSql`); `npm run check:sql` and test/metering/sql-functions.e2e-spec.ts
 * compare a migrated database with them.
 */
export const METERING_FUNCTIONS: readonly SqlFunction[] = [
  apiKeyEnter,
  meterUsed,
  meterRecord,
  meterRecordBatch,
  meterEntitlement,
  meterEntitlementBatch,
  meterUsage,
];

/**
 * The SQL that brings a database's metering functions to their current definitions: each one
 * created or replaced, EXECUTE for its roles only. Bodies are not checked against the tables now
 * (as pg_dump does): a definition may use what a later migration adds, and that migration applies
 * the definitions again.
 */
export function meteringFunctionsSql(): string {
  return [
    'set local check_function_bodies = off;',
    ...METERING_FUNCTIONS.flatMap((fn) => [fn.definition, fn.grants]),
    'reset check_function_bodies;',
  ].join('\n\n');
}

/**
 * A digest of the current definitions and grants. The last migration that applies them names the
 * digest it was written for: a changed definition (or a rule it is generated from) needs a new one.
 */
export function meteringFunctionsDigest(): string {
  const hash = createHash('sha256');
  for (const fn of METERING_FUNCTIONS) hash.update(`${fn.definition}\n${fn.grants}\n`);
  return hash.digest('hex').slice(0, 16);
}
