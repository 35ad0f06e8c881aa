import { assertNodeVersion, loadEnvFile } from './runtime.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DatabaseSetupRefused, DatabaseUnreachableError, prepareDatabase } from './database/setup.js';
import { SeedRefusedError } from './database/seed.js';
import { seedTools } from './seed-tools.js';

/** `npm run db:setup` (and docker-compose's `setup`): create the database and roles when missing, migrate, and seed. */
assertNodeVersion();
loadEnvFile();
try {
  const config = loadConfig();
  const { applied } = await prepareDatabase(config, seedTools(config));
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema up to date');
} catch (error) {
  // What the operator must fix is said in one message, without a stack.
  if (!(
    error instanceof ConfigError ||
    error instanceof SeedRefusedError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof DatabaseSetupRefused
  ))
    throw error;
  console.error(error.message);
  process.exitCode = 1;
}
