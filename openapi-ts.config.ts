import { defineConfig } from '@hey-api/openapi-ts';

/**
 * The typed client in `sdk/`, generated from the committed `openapi.json` (`npm run sdk`).
 * Never edit `sdk/` by hand: `npm run check:generated` fails when it differs from a fresh run.
 */
export default defineConfig({
  input: './openapi.json',
  output: {
    path: './sdk',
    clean: true,
    // The repo resolves modules as `nodenext`: relative imports carry `.js`.
    module: { extension: '.js' },
    tsConfigPath: './tsconfig.json',
  },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
});
