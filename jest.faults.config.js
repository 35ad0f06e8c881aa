/**
 * `npm run test:faults`: the slow fault tests (test/faults/*.slow-spec.ts), which run the whole
 * platform through its launcher on a PostgreSQL cluster and a Redis of their own, restart and kill
 * them. Kept out of `npm test` (about a minute; needs PostgreSQL's server binaries and root to run
 * them as the postgres user). Run `npm run build` first (the script does).
 */
import { common } from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.slow-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/preload.js'],
    },
  ],
  testTimeout: 120000,
};
