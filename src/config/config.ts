import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';

/** Strict booleans: a typo such as `SEED_DEMO=yes` is an error naming the variable, never a silent false. */
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };
const toBool = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.toLowerCase() in BOOLEANS ? BOOLEANS[value.toLowerCase()] : value;
const IsStrictBoolean = () => IsBoolean({ message: 'must be true or false (or 1 / 0)' });
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/**
 * A connection URL with one of `protocols` and a host. The message never echoes the value: it may
 * carry a password.
 */
function IsServiceUrl(protocols: string[], example: string) {
  return ValidateBy({
    name: 'isServiceUrl',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || !URL.canParse(value)) return false;
        const url = new URL(value);
        // A host, or a Unix socket directory in `?host=` (postgres:///eshtarek?host=/var/run/postgresql).
        return protocols.includes(url.protocol.slice(0, -1)) && (url.hostname !== '' || url.searchParams.has('host'));
      },
      defaultMessage: () => `must be a URL like ${example}`,
    },
  });
}

/** `CORS_ORIGINS`: origins separated by commas or spaces; each must be exactly `scheme://host[:port]`. */
const toOrigins = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value);
const IsOriginList = () =>
  ValidateBy({
    name: 'isOriginList',
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) &&
        value.every((o) => typeof o === 'string' && URL.canParse(o) && new URL(o).origin === o && /^https?:/.test(o)),
      defaultMessage: () => 'must list origins such as https://app.example.com (scheme, host, optional port; no path)',
    },
  });

/** A floor that holds in every environment but NODE_ENV=test (which may trade strength for speed). */
const AtLeastOutsideTest = (minimum: number, why: string) =>
  ValidateBy({
    name: 'atLeastOutsideTest',
    validator: {
      validate: (value: unknown, args) =>
        (args?.object as { NODE_ENV?: string }).NODE_ENV === 'test' || (typeof value === 'number' && value >= minimum),
      defaultMessage: () => `must not be less than ${minimum} (${why}; only NODE_ENV=test may go lower)`,
    },
  });

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

  @IsServiceUrl(['postgres', 'postgresql'], 'postgres://user:password@host:5432/database')
  DATABASE_URL = 'postgres://eshtarek_app@127.0.0.1:5432/eshtarek';

  @IsServiceUrl(['postgres', 'postgresql'], 'postgres://user:password@host:5432/database')
  DATABASE_OWNER_URL = 'postgres://postgres@127.0.0.1:5432/eshtarek';

  /** The cross-tenant path's login role (eshtarek_platform); empty: DATABASE_URL with that user. */
  @ValidateIf((config: AppConfig) => config.DATABASE_PLATFORM_URL !== '')
  @IsServiceUrl(['postgres', 'postgresql'], 'postgres://eshtarek_platform:password@host:5432/database')
  DATABASE_PLATFORM_URL = '';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;

  @IsServiceUrl(['redis', 'rediss'], 'redis://host:6379')
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

  @IsEmail({ require_tld: false })
  PLATFORM_ADMIN_EMAIL = 'admin@eshtarek.local';

  @IsString()
  @MinLength(10)
  PLATFORM_ADMIN_PASSWORD = 'admin-password-123';

  /**
   * When an account with PLATFORM_ADMIN_EMAIL already exists but is not a platform admin, the seed
   * refuses to start; `true` makes it that admin, resets its password to PLATFORM_ADMIN_PASSWORD and
   * revokes its sessions (audited).
   */
  @Transform(toBool)
  @IsStrictBoolean()
  PLATFORM_ADMIN_ADOPT_EXISTING = false;

  /** Seed two demo tenants into an empty database; defaults to true outside production (see loadConfig). */
  @IsOptional()
  @Transform(toBool)
  @IsStrictBoolean()
  SEED_DEMO!: boolean;

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

  /**
   * Creations of one kind (tenants, payment methods, API keys, invitations) allowed per user, and
   * per tenant, in the window before 429.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  CREATE_MAX_PER_USER = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  CREATE_MAX_PER_TENANT = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  CREATE_THROTTLE_WINDOW_SECONDS = 900;

  /** Days an invitation to join a tenant stays open. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  INVITATION_TTL_DAYS = 7;

  /**
   * argon2id memory cost in KiB (OWASP: at least 19 MiB) and time cost (at least 2). Only
   * NODE_ENV=test may go below (the e2e suite hashes a password per registration).
   */
  @Transform(toInt)
  @IsInt()
  @Min(8)
  @AtLeastOutsideTest(19456, "OWASP's minimum for argon2id")
  ARGON2_MEMORY_KIB = 19456;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @AtLeastOutsideTest(2, "OWASP's minimum for argon2id")
  ARGON2_TIME_COST = 2;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toBool)
  @IsStrictBoolean()
  CLOCK_CONTROL = false;

  /** How often the worker scans the database for due renewals, retries and pending invoices. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  RENEWAL_SCAN_EVERY_MS = 60_000;

  /**
   * A charge intent still pending this long after it was recorded (real time) lost its outcome —
   * the transaction that made the charge never committed — and the worker's scan settles it with
   * the gateway (refunding a charge nothing records). Longer than any request or job retry.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  CHARGE_RECONCILE_AFTER_MS = 15 * 60_000;

  /**
   * How often the worker hands pending rows of the job outbox to BullMQ (work written by requests
   * in their own transaction: plan-change collections, limit warnings, a scan after the clock moved).
   */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  OUTBOX_POLL_EVERY_MS = 1000;

  /**
   * Longest wait for one Redis command of the API (throttling counters, sign-in counters,
   * readiness): past it the request answers 503 instead of hanging on a Redis that does not answer.
   */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(10_000)
  REDIS_COMMAND_TIMEOUT_MS = 500;

  /** The Retry-After of a 503 answered because PostgreSQL or Redis is unavailable. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  OUTAGE_RETRY_AFTER_SECONDS = 5;

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

  /** Browser origins allowed to call the API (CORS); empty = no CORS headers at all. */
  @Transform(toOrigins)
  @IsOriginList()
  CORS_ORIGINS: string[] = [];
}

export class ConfigError extends Error {}

/**
 * Secret values published in this repository (config defaults, `.env.example`, docker-compose's
 * former fallbacks): anyone can read them, so production refuses them.
 */
export const PUBLISHED_SECRETS: Partial<Record<keyof AppConfig, string[]>> = {
  JWT_SECRET: ['dev-only-secret-change-me-please-0123456789abcdef', 'change-me-to-a-long-random-secret-of-32-chars'],
  PLATFORM_ADMIN_PASSWORD: ['admin-password-123', 'demo-password-123'],
};

/** What production refuses beyond the per-variable rules; one line per problem. */
function productionProblems(config: AppConfig, given: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, published] of Object.entries(PUBLISHED_SECRETS)) {
    const value = config[key as keyof AppConfig];
    if (given[key] === undefined) problems.push(`${key}: must be set in production`);
    else if (published!.includes(value as string))
      problems.push(`${key}: is a published default; set your own secret in production`);
  }
  if (config.SEED_DEMO) {
    problems.push('SEED_DEMO: demo accounts share a published password; not allowed in production');
  }
  if (config.CLOCK_CONTROL) problems.push('CLOCK_CONTROL: the application clock cannot be moved in production');
  return problems;
}

/** Parses and validates an environment; throws a `ConfigError` naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const raw: Record<string, unknown> = {};
  for (const key of [...known, 'TRUST_PROXY', 'SEED_DEMO']) if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true });
  const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  if (!errors.length) {
    config.SEED_DEMO ??= config.NODE_ENV !== 'production';
    if (config.NODE_ENV === 'production') lines.push(...productionProblems(config, raw));
  }
  if (lines.length) throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  return config;
}
