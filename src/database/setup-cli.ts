import { assertNodeVersion, loadEnvFile } from '../runtime.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { DatabaseSetupRefused, DatabaseUnreachableError, prepareDatabase } from './setup.js';
import { SeedRefusedError } from './seed.js';

/** `npm run db:setup` (and docker-compose's `setup`): create the database and roles when missing, migrate, and seed. */
assertNodeVersion();
loadEnvFile();
try {
  const { applied } = await prepareDatabase(loadConfig());
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
