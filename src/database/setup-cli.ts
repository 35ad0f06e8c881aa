import { assertNodeVersion, loadEnvFile } from '../runtime.js';
import { loadConfig } from '../config/config.js';
import { prepareDatabase } from './setup.js';

/** `npm run db:setup`: create the database and roles when missing, migrate, and seed. */
assertNodeVersion();
loadEnvFile();
const { applied } = await prepareDatabase(loadConfig());
console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema up to date');
