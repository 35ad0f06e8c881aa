import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../../config/config.js';
import { ApiKeyAuthenticator } from '../../common/auth/api-key-authenticator.js';
import { AuditModule } from '../audit/audit.module.js';
import { JwtStrategy, jwtKey } from '../../common/auth/jwt.strategy.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthAttemptsGuard } from './auth-attempts.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { CredentialsRepository } from './credentials.repository.js';
import { LoginThrottle } from './login-throttle.service.js';
import { OpsDashboardAuth } from './ops-dashboard-auth.js';
import { OpsDashboardController } from './ops-dashboard.controller.js';
import { OpsSessionGuard } from './ops-session.guard.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionPurgeProcessor } from './session-purge.processor.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { UserRepository } from './user.repository.js';

@Module({
  imports: [
    AuditModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: jwtKey(config) as unknown as string, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [AuthController, ApiKeysController, OpsDashboardController],
  providers: [
    AuthService,
    CredentialsRepository,
    UserRepository,
    ApiKeyRepository,
    PasswordHasher,
    LoginThrottle,
    JwtStrategy,
    AuthAttemptsGuard,
    OpsDashboardAuth,
    OpsSessionGuard,
    ApiKeysService,
    ApiKeyStrategy,
    // Found by the access guard (common) through the module graph: the HTTP app has it, the worker needs none.
    { provide: ApiKeyAuthenticator, useExisting: ApiKeyStrategy },
  ],
  exports: [AuthService, PasswordHasher, OpsDashboardAuth, ApiKeyAuthenticator],
})
export class AuthModule {}

/**
 * Auth's processor (the `sessions` queue).
 * Imported by the worker process only: the API enqueues jobs, it never runs them.
 */
@Module({ providers: [SessionPurgeProcessor, CredentialsRepository] })
export class AuthWorkerModule {}
