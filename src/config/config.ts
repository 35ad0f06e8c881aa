import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength, validateSync } from 'class-validator';

const toBool = ({ value }: { value: unknown }) =>
  value === undefined ? undefined : value === true || String(value).toLowerCase() === 'true';
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/**
 * Every setting the platform reads, validated once at boot. This file is the only reader of
 * `process.env`; everything else injects `AppConfig`.
 */
export class AppConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  DATABASE_URL = 'postgres://eshtarek_app@127.0.0.1:5432/eshtarek';

  @IsString()
  DATABASE_OWNER_URL = 'postgres://postgres@127.0.0.1:5432/eshtarek';

  /** The cross-tenant path's login role (eshtarek_platform); empty: DATABASE_URL with that user. */
  @IsOptional()
  @IsString()
  DATABASE_PLATFORM_URL = '';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;

  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every Redis key (queues, throttling); lets several environments share one Redis. */
  @IsString()
  REDIS_PREFIX = 'eshtarek';

  @IsString()
  @MinLength(32)
  JWT_SECRET = 'dev-only-secret-change-me-please-0123456789abcdef';

  @IsString()
  JWT_ISSUER = 'eshtarek';

  @IsString()
  JWT_AUDIENCE = 'eshtarek-api';

  @Transform(toInt)
  @IsInt()
  @Min(60)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(3600)
  REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

  @IsString()
  PLATFORM_ADMIN_EMAIL = 'admin@eshtarek.local';

  @IsString()
  @MinLength(10)
  PLATFORM_ADMIN_PASSWORD = 'admin-password-123';

  @Transform(toBool)
  @IsBoolean()
  SEED_DEMO = true;

  /** Failed sign-ins allowed per account in the window before 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES_PER_ACCOUNT = 10;

  /** Sign-in and registration attempts allowed per client address in the window before 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_MAX_ATTEMPTS_PER_ADDRESS = 300;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_THROTTLE_WINDOW_SECONDS = 900;

  /** argon2id memory cost in KiB (OWASP: at least 19 MiB) and time cost (at least 2). */
  @Transform(toInt)
  @IsInt()
  @Min(19456)
  ARGON2_MEMORY_KIB = 19456;

  @Transform(toInt)
  @IsInt()
  @Min(2)
  ARGON2_TIME_COST = 2;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toBool)
  @IsBoolean()
  CLOCK_CONTROL = false;

  /** How often the worker scans the database for due renewals, retries and pending invoices. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  RENEWAL_SCAN_EVERY_MS = 60_000;

  /** Subscriptions renewed per transaction (set-based, FOR UPDATE SKIP LOCKED). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  RENEWAL_BATCH_SIZE = 500;

  /** Concurrent jobs per queue in one worker process. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  WORKER_CONCURRENCY = 4;

  /** How long a worker holds a job before another may take it over as stalled (a killed worker's jobs re-run after this). */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  JOB_LOCK_MS = 30_000;

  /** Metering statements of one API process at the database at once; concurrent requests beyond it are batched. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  METERING_BATCH_IN_FLIGHT = 2;

  /** Most requests coalesced into one metering statement. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  METERING_BATCH_MAX = 100;

  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;
}

export class ConfigError extends Error {}

/** Parses and validates an environment; throws a `ConfigError` naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const raw: Record<string, unknown> = {};
  for (const key of [...known, 'TRUST_PROXY']) if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true });
  if (errors.length) {
    const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (config.NODE_ENV === 'production' && config.JWT_SECRET === new AppConfig().JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: must be set in production');
  }
  return config;
}
