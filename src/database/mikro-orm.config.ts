import { defineConfig } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import { entities, tenantOwnedEntities } from './entities.js';
import { tenantFilter } from './tenant-filter.js';

/**
 * MikroORM options for a connection URL. The API and workers connect as the app role
 * (`DATABASE_URL`); migrations run as the owner (`DATABASE_OWNER_URL`).
 */
export function ormConfig(clientUrl: string, poolSize = 10) {
  return defineConfig({
    clientUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    discovery: { checkDuplicateTableNames: true },
    filters: { [tenantFilter.name]: { ...tenantFilter, entity: tenantOwnedEntities } },
    pool: { min: 0, max: poolSize },
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    debug: false,
  });
}
