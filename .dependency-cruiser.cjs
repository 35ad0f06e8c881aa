/**
 * The boundaries of DESIGN.md ("Shape of the repository"), checked by `npm run lint`. Paths are
 * relative to the repository root; test/lint/boundaries.spec.ts proves that planted violations fail.
 */

/** DESIGN.md's order: a module may import only modules to its left (and audit). */
const ORDER = ['auth', 'tenancy', 'policies', 'plans', 'subscriptions'];
/** Side by side at the right end: each may import everything in ORDER, never the other. */
const LEAVES = ['metering', 'billing'];
/** Written to by every module; imports no module. */
const AUDIT = 'audit';
/** Probes only; imports no module. */
const STANDALONE = ['health'];

const any = (names) => `^src/modules/(${names.join('|')})/`;

/** For each module, the modules it may import (its own folder included). */
const allowed = new Map([
  ...ORDER.map((name, i) => [name, [...ORDER.slice(0, i + 1), AUDIT]]),
  ...LEAVES.map((name) => [name, [...ORDER, name, AUDIT]]),
  [AUDIT, [AUDIT]],
  ...STANDALONE.map((name) => [name, [name]]),
]);

const moduleOrder = [...allowed].map(([name, mayImport]) => ({
  name: `module-order-${name}`,
  severity: 'error',
  comment:
    `${name} may import only ${mayImport.filter((m) => m !== name).join(', ') || 'no other module'} ` +
    '(DESIGN.md: auth → tenancy → policies → plans → subscriptions → metering, billing; audit is imported by all ' +
    'and imports none). Reach a module to the right through a port declared here and bound in app.module.ts.',
  from: { path: `^src/modules/${name}/` },
  to: { path: '^src/modules/', pathNot: any(mayImport) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-common-to-modules',
      severity: 'error',
      comment:
        'common/, config/, database/ and jobs/ are the mechanisms every module uses: they never import a module. ' +
        'Declare a port (an abstract class) there and let the module implement it; the top level (src/*.ts) binds them.',
      from: { path: '^src/(common|config|database|jobs)/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'no-foreign-entities',
      severity: 'error',
      comment:
        "A module uses another through that module's exported service or port, never through its entities " +
        '(DESIGN.md). Only the top level (src/entities.ts) lists every entity, for the ORM.',
      // Except an entity's relation to another module's entity (a foreign key), which module-order still directs.
      from: { path: '^src/modules/([^/]+)/', pathNot: '[.]entit(y|ies)[.]ts$' },
      to: { path: '^src/modules/[^/]+/.+[.]entit(y|ies)[.]ts$', pathNot: '^src/modules/$1/' },
    },
    ...moduleOrder,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles (DESIGN.md): a cycle is two modules that cannot be understood, tested or moved apart.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing would hide a dependency from every rule above.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]spec[.]ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are dependencies too: an entity named in a type is still reached into.
    tsPreCompilationDeps: true,
    // As Node resolves the packages' `exports` (e.g. uuid's `node` condition).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
