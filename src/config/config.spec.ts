import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, PUBLISHED_SECRETS } from './config.js';

const OWN_SECRETS = { JWT_SECRET: 'a-real-secret-'.padEnd(48, 'x'), PLATFORM_ADMIN_PASSWORD: 'a-real-admin-password' };
const PRODUCTION = { NODE_ENV: 'production', ...OWN_SECRETS };

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('has working defaults for local development', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.LOGIN_MAX_FAILURES_PER_ACCOUNT).toBe(10);
    expect(config.AUTH_MAX_ATTEMPTS_PER_ADDRESS).toBe(300);
    expect(config.ARGON2_MEMORY_KIB).toBeGreaterThanOrEqual(19456);
    expect(config.SEED_DEMO).toBe(true);
    expect(config.PLATFORM_ADMIN_ADOPT_EXISTING).toBe(false);
    expect(config.CORS_ORIGINS).toEqual([]);
  });

  it('parses numbers and booleans from strings', () => {
    const config = loadConfig({ PORT: '8080', SEED_DEMO: 'false', CLOCK_CONTROL: 'true' });
    expect(config).toMatchObject({ PORT: 8080, SEED_DEMO: false, CLOCK_CONTROL: true });
    expect(loadConfig({ SEED_DEMO: '0', CLOCK_CONTROL: '1' })).toMatchObject({ SEED_DEMO: false, CLOCK_CONTROL: true });
    expect(loadConfig({ SEED_DEMO: 'FALSE' }).SEED_DEMO).toBe(false);
  });

  it('names every bad variable', () => {
    const message = configError({ PORT: 'eighty', ARGON2_MEMORY_KIB: '1024' });
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/ARGON2_MEMORY_KIB/);
  });

  it("keeps OWASP's argon2id floor (19 MiB, 2 passes) everywhere but NODE_ENV=test", () => {
    const weak = { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };
    for (const NODE_ENV of ['development', 'production']) {
      const message = configError({ ...OWN_SECRETS, NODE_ENV, ...weak });
      expect(message).toMatch(/^ {2}ARGON2_MEMORY_KIB: must not be less than 19456/m);
      expect(message).toMatch(/^ {2}ARGON2_TIME_COST: must not be less than 2/m);
    }
    expect(loadConfig({ NODE_ENV: 'test', ...weak })).toMatchObject({ ARGON2_MEMORY_KIB: 1024, ARGON2_TIME_COST: 1 });
    expect(configError({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '4', ARGON2_TIME_COST: '0' })).toMatch(
      /ARGON2_MEMORY_KIB[^\n]*\n.*ARGON2_TIME_COST/,
    );
  });

  it.each(['yes', 'no', 'on', 'off', 'ture', '2'])('refuses the boolean %p instead of reading it as false', (value) => {
    expect(configError({ SEED_DEMO: value })).toMatch(/^ {2}SEED_DEMO: must be true or false/m);
    expect(configError({ CLOCK_CONTROL: value })).toMatch(/CLOCK_CONTROL/);
    expect(configError({ PLATFORM_ADMIN_ADOPT_EXISTING: value })).toMatch(/PLATFORM_ADMIN_ADOPT_EXISTING/);
  });

  it.each([
    ['DATABASE_URL', 'localhost:5432/eshtarek'],
    ['DATABASE_URL', 'mysql://root:hunter2@db/eshtarek'],
    ['DATABASE_OWNER_URL', 'postgres//postgres@127.0.0.1/eshtarek'],
    ['REDIS_URL', '127.0.0.1:6379'],
    ['REDIS_URL', 'http://redis:6379'],
    ['DATABASE_PLATFORM_URL', 'postgres//eshtarek_platform:hunter2@x'],
  ])('refuses %s=%p with one line that does not echo the value', (key, value) => {
    const message = configError({ [key]: value });
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^  ${key}: must be a URL like \\w+://`))]);
    expect(message).not.toContain('hunter2');
  });

  it('accepts the URLs of docker-compose and managed services', () => {
    expect(() =>
      loadConfig({
        DATABASE_URL: 'postgresql://eshtarek_app:s3cret@postgres:5432/eshtarek?sslmode=require',
        DATABASE_OWNER_URL: 'postgres://postgres@postgres:5432/eshtarek',
        REDIS_URL: 'rediss://default:pw@cache.example.com:6380',
        DATABASE_PLATFORM_URL: 'postgres://eshtarek_platform:pw@postgres:5432/eshtarek',
      }),
    ).not.toThrow();
    expect(() =>
      loadConfig({
        DATABASE_URL: 'postgres:///eshtarek?host=/var/run/postgresql',
        DATABASE_OWNER_URL: 'postgresql:///eshtarek?host=/var/run/postgresql',
      }),
    ).not.toThrow();
  });

  describe('CORS_ORIGINS', () => {
    it('is a list of exact origins', () => {
      expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual([
        'https://app.example.com',
        'http://localhost:5173',
      ]);
    });

    it.each(['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://x.test'])(
      'refuses %p',
      (value) => {
        expect(configError({ CORS_ORIGINS: value })).toMatch(/CORS_ORIGINS: must list origins/);
      },
    );
  });

  describe('in production', () => {
    it('starts with its own secrets, and does not seed demo data by default', () => {
      const config = loadConfig(PRODUCTION);
      expect(config.NODE_ENV).toBe('production');
      expect(config.SEED_DEMO).toBe(false);
    });

    it('requires JWT_SECRET and PLATFORM_ADMIN_PASSWORD to be set', () => {
      const message = configError({ NODE_ENV: 'production' });
      expect(message).toMatch(/JWT_SECRET: must be set in production/);
      expect(message).toMatch(/PLATFORM_ADMIN_PASSWORD: must be set in production/);
    });

    it.each(Object.entries(PUBLISHED_SECRETS).flatMap(([key, values]) => values!.map((value) => [key, value])))(
      'refuses the published %s %p',
      (key, value) => {
        expect(configError({ ...PRODUCTION, [key]: value })).toMatch(new RegExp(`${key}: is a published default`));
        expect(() => loadConfig({ [key]: value })).not.toThrow();
      },
    );

    it('refuses every secret value of .env.example', () => {
      const example = Object.fromEntries(
        readFileSync(join(process.cwd(), '.env.example'), 'utf8')
          .split('\n')
          .filter((line) => /^[A-Z_]+=/.test(line))
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      );
      for (const key of Object.keys(PUBLISHED_SECRETS)) {
        expect(example[key]).toBeDefined();
        expect(configError({ ...PRODUCTION, [key]: example[key] })).toMatch(new RegExp(`${key}: is a published default`));
      }
      expect(() => loadConfig({ ...example, NODE_ENV: 'production' })).toThrow(ConfigError);
    });

    it('docker-compose has no fallback for any secret', () => {
      const compose = readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8');
      for (const key of Object.keys(PUBLISHED_SECRETS)) {
        expect(compose).toMatch(new RegExp(`\\$\\{${key}:\\?`));
        expect(compose).not.toMatch(new RegExp(`\\$\\{${key}:?-`));
      }
    });

    it('refuses demo data and clock control', () => {
      expect(configError({ ...PRODUCTION, SEED_DEMO: 'true' })).toMatch(/SEED_DEMO: demo accounts share a published password/);
      expect(loadConfig({ ...PRODUCTION, SEED_DEMO: 'false' }).SEED_DEMO).toBe(false);
      expect(configError({ ...PRODUCTION, CLOCK_CONTROL: 'true' })).toMatch(/CLOCK_CONTROL/);
    });
  });
});
