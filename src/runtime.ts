/** MikroORM 7 and this code base need Node ≥ 22.17; `npm start`/`npm test` run the pinned Node 24. */
export function assertNodeVersion(): void {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 17)) {
    console.error(
      `Eshtarek needs Node.js >= 22.17 but this is ${process.version}. Run it through npm (npm start / npm test), ` +
        'which uses the Node 24 installed in node_modules.',
    );
    process.exit(1);
  }
}

/** Loads `.env` from the working directory when there is one (Node's own loader). */
export function loadEnvFile(): void {
  try {
    process.loadEnvFile();
  } catch {
    /* no .env: defaults and the real environment apply */
  }
}
