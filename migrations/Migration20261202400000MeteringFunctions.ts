import { Migration } from '@mikro-orm/migrations';
import { meteringFunctionsSql } from '../src/modules/metering/sql/index.js';

/**
 * The metering functions now have one current home, src/modules/metering/sql/ (one declaration per
 * function, their shared rules generated from the TypeScript constants that define them), and
 * this migration applies those definitions instead of carrying a copy:
 *
 * - the batches take one jsonb array of items instead of thirteen (or seven) parallel arrays;
 * - meter_record and meter_entitlement no longer take the metric's kind and whether it is built in:
 *   the rules (metrics.ts) are in their SQL, as are the live statuses and the plan limits' keys;
 * - meter_used is the one definition of a metric's use, shared by GET /v1/usage, the entitlements
 *   and GET /v1/subscription.
 *
 * The old signatures are dropped; EXECUTE stays with eshtarek_api only, as before. A later change of
 * a definition adds a migration like this one (`npm run check:sql` says when).
 */
export class Migration20261202400000MeteringFunctions extends Migration {
  /** The digest of the definitions this migration was written for (see meteringMigrationDrift). */
  static readonly meteringFunctions = 'f8c289cb3d95fd4f';

  override up(): void {
    this.addSql(`
      drop function meter_record_batch(uuid[], uuid[], boolean[], timestamptz, text[], boolean[], boolean[], text[], bigint[], timestamptz[], text[], bytea[], uuid[]);
      drop function meter_entitlement_batch(uuid[], uuid[], boolean[], timestamptz, text[], text[], boolean[]);
      drop function meter_record(uuid, uuid, boolean, timestamptz, text, boolean, boolean, text, bigint, timestamptz, text, bytea, uuid);
      drop function meter_entitlement(uuid, uuid, boolean, timestamptz, text, text, boolean);
    `);
    this.addSql(meteringFunctionsSql());
  }
}
