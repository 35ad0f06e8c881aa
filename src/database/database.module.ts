import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/config.js';
import { CredentialSeal } from './credential-seal.js';
import { ormConfig } from './mikro-orm.config.js';
import { PlatformOrm } from './platform-orm.js';
import { PreparedStatements } from './prepared.js';
import { TenantSession } from './tenant-session.js';

@Global()
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [AppConfig],
      driver: PostgreSqlDriver,
      useFactory: (config: AppConfig) => ({
        ...ormConfig(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
        registerRequestContext: false,
      }),
    }),
  ],
  providers: [
    TenantSession,
    CredentialSeal,
    PreparedStatements,
    { provide: PlatformOrm, inject: [AppConfig], useFactory: (config: AppConfig) => PlatformOrm.connect(config) },
  ],
  exports: [TenantSession, PreparedStatements, CredentialSeal],
})
export class DatabaseModule {}
