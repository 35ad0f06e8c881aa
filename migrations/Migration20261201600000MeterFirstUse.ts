import { Migration } from '@mikro-orm/migrations';

const METER_RECORD =
  'meter_record(uuid, uuid, boolean, timestamptz, text, boolean, boolean, text, bigint, timestamptz, text, bytea, uuid)';

/**
 * First use of a counter or gauge under a burst: `meter_record` created the missing row with
 * `insert … on conflict do nothing` and, when that insert found the row already there, took it as
 * the limit refusing — but the row may just have been created by a concurrent first write, so a
 * write within the limit was answered 403 (seen as `used: 2` in the 150-write burst). Now the
 * conditional UPDATE always runs a second time after the insert; only it decides.
 *
 * The function is patched in place (its owner, grants and settings are kept by CREATE OR REPLACE)
 * rather than copied here, so its one definition stays in the Metering migration plus this change.
 */
export class Migration20261201600000MeterFirstUse extends Migration {
  override up(): void {
    this.addSql(`
      do $patch$
      declare
        v_def text := pg_get_functiondef('${METER_RECORD}'::regprocedure);
        v_old_comment text := '-- No row yet (first use): create it at zero and try once more; if it existed, the limit refused.';
        v_new_comment text := '-- No row seen (first use, or created meanwhile by a concurrent first use): make sure it exists, then the UPDATE decides once more.';
      begin
        if position('exit when not found;' in v_def) = 0 or position(v_old_comment in v_def) = 0 then
          raise exception 'meter_record is not the version this migration patches';
        end if;
        execute replace(replace(v_def, 'exit when not found;', ''), v_old_comment, v_new_comment);
      end $patch$;
    `);
  }
}
