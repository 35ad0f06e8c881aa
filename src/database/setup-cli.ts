import { assertNodeVersion, loadEnvFile } from '../runtime.js';
import { loadConfig } from '../config/config.js';
import { ensureDatabase, migrate } from './setup.js';

/** `npm run migrate`: create the database and roles when missing, then apply pending migrations. */
assertNodeVersion();
loadEnvFile();
const config = loadConfig();
await ensureDatabase(config.DATABASE_OWNER_URL, config.DATABASE_URL);
const applied = await migrate(config.DATABASE_OWNER_URL);
console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply');
