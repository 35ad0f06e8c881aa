import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/config.js';
import { ApiKeyAuthenticator } from '../../common/auth/api-key-authenticator.js';
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
import { PasswordHasher } from './password-hasher.js';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: jwtKey(config) as unknown as string, signOptions: { algorithm: 'HS256' } }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ ttl: config.AUTH_THROTTLE_WINDOW_SECONDS * 1000, limit: config.AUTH_MAX_ATTEMPTS_PER_ADDRESS }],
      }),
    }),
  ],
  controllers: [AuthController, ApiKeysController],
  providers: [
    AuthService,
    CredentialsRepository,
    PasswordHasher,
    LoginThrottle,
    JwtStrategy,
    AuthAttemptsGuard,
    OpsDashboardAuth,
    ApiKeysService,
    ApiKeyStrategy,
    // Found by the access guard (common) through the module graph: the HTTP app has it, the worker needs none.
    { provide: ApiKeyAuthenticator, useExisting: ApiKeyStrategy },
  ],
  exports: [PasswordHasher, OpsDashboardAuth, ApiKeyAuthenticator],
})
export class AuthModule {}
