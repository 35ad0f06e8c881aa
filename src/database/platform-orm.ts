import { OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config/config.js';
import { type Entities, ormConfig } from './mikro-orm.config.js';
import { platformDatabaseUrl } from './setup.js';

/** Connections of the cross-tenant path per process: a few platform-admin reads and the worker's scans. */
export const PLATFORM_POOL_SIZE = 4;

/**
 * The second ORM instance, connected as `eshtarek_platform` on its own small pool: the only
 * connection whose row-level policies see every tenant. Used only through
 * `TenantSession.runPlatform`. It keeps the default context name, so that inside one of its
 * transactions the injected EntityManager (audit, billing services) resolves to that transaction,
 * exactly as it does inside a request's.
 */
export class PlatformOrm implements OnApplicationShutdown {
  private constructor(readonly orm: MikroORM) {}

  static async connect(config: AppConfig, entities: Entities): Promise<PlatformOrm> {
    return new PlatformOrm(await MikroORM.init(ormConfig(platformDatabaseUrl(config), entities, PLATFORM_POOL_SIZE)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close();
  }
}
