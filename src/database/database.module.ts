import { type DynamicModule, Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/config.js';
import { CredentialSeal } from './credential-seal.js';
import { type Entities, ormConfig } from './mikro-orm.config.js';
import { PlatformOrm } from './platform-orm.js';
import { PreparedStatements } from './prepared.js';
import { TenantSession } from './tenant-session.js';

/** The ORM (the request role's, and the platform path's) and the tenant session every module works in. */
@Global()
@Module({})
export class DatabaseModule {
  /** `entities`: every mapped entity, listed by the composition (src/entities.ts). */
  static forRoot(entities: Entities): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        MikroOrmModule.forRootAsync({
          inject: [AppConfig],
          driver: PostgreSqlDriver,
          useFactory: (config: AppConfig) => ({
            ...ormConfig(config.DATABASE_URL, entities, config.DATABASE_POOL_SIZE),
            registerRequestContext: false,
          }),
        }),
      ],
      providers: [
        TenantSession,
        CredentialSeal,
        PreparedStatements,
        { provide: PlatformOrm, inject: [AppConfig], useFactory: (config: AppConfig) => PlatformOrm.connect(config, entities) },
      ],
      exports: [TenantSession, PreparedStatements, CredentialSeal],
    };
  }
}
