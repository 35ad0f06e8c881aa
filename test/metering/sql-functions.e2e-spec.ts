import { databaseUrl } from '../../src/database/setup.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { meteringFunctionDrift, meteringMigrationDrift } from '../../src/modules/metering/sql/drift.js';
import { meteringFunctionsDigest } from '../../src/modules/metering/sql/index.js';
import { OWNER_URL, RUN_PREFIX, TEMPLATE_DB } from '../support/env.js';

/**
 * The metering functions of the migrated template are their declarations (src/modules/metering/sql/),
 * as `npm run check:sql` checks on a new database; and the check notices a function changed in place.
 */
describe('metering functions against their declarations', () => {
  const database = `${RUN_PREFIX}_${randomBytes(6).toString('hex')}`;
  let owner: pg.Client;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl(OWNER_URL, 'postgres') });
    await admin.connect();
    await admin.query(`create database ${database} template ${TEMPLATE_DB}`);
    await admin.end();
    owner = new pg.Client({ connectionString: databaseUrl(OWNER_URL, database) });
    await owner.connect();
  });
  afterAll(async () => {
    await owner?.end();
    const admin = new pg.Client({ connectionString: databaseUrl(OWNER_URL, 'postgres') });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  it('match in the migrated database: definitions, EXECUTE grants, no other overloads', async () => {
    expect(await meteringFunctionDrift(owner)).toEqual([]);
  });

  it('were applied by a migration written for the current definitions', () => {
    expect(meteringMigrationDrift(migrationsList)).toEqual([]);
  });

  it('notice a definition changed without a migration that applies it', () => {
    const written = migrationsList.map((m) =>
      m.name.endsWith('MeteringFunctions') ? { ...m, class: { meteringFunctions: '0000000000000000' } } : m,
    );
    expect(meteringMigrationDrift(written)).toEqual([
      expect.stringContaining(`written for 0000000000000000, now ${meteringFunctionsDigest()}`),
    ]);
  });

  it('notice a function patched in place, EXECUTE granted to PUBLIC, and an overload left behind', async () => {
    // In this test's own copy of the template, last: as Migration20261201600000MeterFirstUse did, a
    // definition edited in the database.
    await owner.query(`
      do $patch$ begin
        execute replace(pg_get_functiondef(to_regprocedure('meter_usage(uuid, uuid, boolean, timestamptz)')),
                        '''past_due''', '''past_due'', ''cancelled''');
      end $patch$;
      grant execute on function meter_used(uuid, uuid, timestamptz, text) to public;
      create function meter_record_batch(p_items uuid[]) returns void language sql as 'select';
    `);
    expect(await meteringFunctionDrift(owner)).toEqual([
      'meter_used(uuid, uuid, timestamptz, text): EXECUTE granted to PUBLIC, eshtarek_api, declared eshtarek_api',
      expect.stringMatching(/^meter_usage\(uuid, uuid, boolean, timestamptz\): differs from its declaration\n.*cancelled/s),
      expect.stringMatching(/^meter_record_batch\(uuid\[\]\): not declared/),
    ]);
  });
});
