import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working defaults for local development', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.LOGIN_MAX_FAILURES_PER_ACCOUNT).toBe(10);
    expect(config.AUTH_MAX_ATTEMPTS_PER_ADDRESS).toBe(300);
    expect(config.ARGON2_MEMORY_KIB).toBeGreaterThanOrEqual(19456);
  });

  it('parses numbers and booleans from strings', () => {
    const config = loadConfig({ PORT: '8080', SEED_DEMO: 'false', CLOCK_CONTROL: 'true' });
    expect(config).toMatchObject({ PORT: 8080, SEED_DEMO: false, CLOCK_CONTROL: true });
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', ARGON2_MEMORY_KIB: '1024' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', ARGON2_MEMORY_KIB: '1024' });
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT/);
      expect((error as Error).message).toMatch(/ARGON2_MEMORY_KIB/);
    }
  });

  it('refuses the development JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).NODE_ENV).toBe('production');
  });
});
