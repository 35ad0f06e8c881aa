import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import { filterTenantOwned } from './tenant-filter.js';

/** The mapped entities, handed in by the composition (src/entities.ts): database/ imports no module. */
export type Entities = NonNullable<Options['entities']>;

/**
 * MikroORM options for a connection URL. The API and workers connect as the app role
 * (`DATABASE_URL`); migrations run as the owner (`DATABASE_OWNER_URL`).
 */
export function ormConfig(clientUrl: string, entities: Entities, poolSize = 10) {
  return defineConfig({
    clientUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    discovery: { checkDuplicateTableNames: true, onMetadata: filterTenantOwned },
    pool: { min: 0, max: poolSize },
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    debug: false,
  });
}

/** Options for running the migrations, which are SQL and need no entity. */
export function migrationConfig(ownerUrl: string) {
  return defineConfig({
    ...ormConfig(ownerUrl, [], 2),
    discovery: { warnWhenNoEntities: false },
  });
}
