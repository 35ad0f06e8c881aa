/** @type {import('jest').Config} */
export const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    // The lint's own rules, proven on planted violations (test/lint).
    { ...common, displayName: 'lint', testMatch: ['<rootDir>/test/lint/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      // Medium specs (services on a cloned database, no HTTP: test/medium) share the run's template.
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/test/medium/**/*.medium-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
      globalTeardown: '<rootDir>/test/support/global-teardown.js',
      setupFilesAfterEnv: ['<rootDir>/test/support/preload.js'],
    },
  ],
  testTimeout: 30000,
  // Two files at a time, also on two cores: each e2e file has its own database and Redis prefix, and
  // spends much of its time waiting on PostgreSQL, Redis and its app; two workers halve `npm test`.
  maxWorkers: 2,
  // After a Redis outage a BullMQ worker's close can outlive its test file (startTestApp bounds it);
  // its reconnecting handles must not keep a finished run from exiting (CI would hang, not fail).
  forceExit: true,
};
