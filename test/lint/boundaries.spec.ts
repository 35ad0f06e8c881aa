import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = process.cwd();
const run = promisify(execFile);

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/**
 * Runs `npm run lint:boundaries` (the half of `npm run lint` that checks the boundaries: the same
 * command and configuration) on a copy of src/ with `planted` files added; answers the violations.
 */
async function lintWith(
  planted: Record<string, string>,
  { exitCode = false } = {},
): Promise<{ failed?: boolean; violations: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'eshtarek-boundaries-'));
  try {
    await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    await cp(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const [path, text] of Object.entries(planted)) await writeFile(join(dir, path), text);
    const config = join(ROOT, '.dependency-cruiser.cjs');
    const depcruise = (...extra: string[]) =>
      run(process.execPath, [join(ROOT, 'node_modules/.bin/depcruise'), 'src', '--config', config, ...extra], {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      });
    // The exit code of the lint's own command, and the violations read from the same cruise as JSON.
    const failed = exitCode
      ? await depcruise().then(
          () => false,
          () => true,
        )
      : undefined;
    const { stdout } = await depcruise('--output-type', 'json', '--no-progress').catch((error: { stdout: string }) => error);
    const { summary } = JSON.parse(stdout) as { summary: { violations: Violation[] } };
    const violations = summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    return { failed, violations };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('npm run lint: the boundaries', () => {
  // Violations of the tree as it is: each test asserts on what its planted files add.
  let baseline: string[];
  beforeAll(async () => {
    baseline = (await lintWith({})).violations;
  }, 60_000);

  it('fails on common/ importing a module', async () => {
    const result = await lintWith(
      {
        'src/common/planted.ts': "export { AuditService } from '../modules/audit/audit.service.js';\n",
      },
      { exitCode: true },
    );
    expect(result.failed).toBe(true);
    expect(result.violations.filter((v) => !baseline.includes(v))).toEqual([
      'no-common-to-modules: src/common/planted.ts → src/modules/audit/audit.service.ts',
    ]);
  }, 60_000);

  it("fails on a module importing another module's entity", async () => {
    // Metering may import subscriptions (subscriptions is to its left), but not through its entity.
    const result = await lintWith(
      { 'src/modules/metering/planted.ts': "export type { Subscription } from '../subscriptions/subscription.entity.js';\n" },
      { exitCode: true },
    );
    expect(result.failed).toBe(true);
    expect(result.violations.filter((v) => !baseline.includes(v))).toEqual([
      'no-foreign-entities: src/modules/metering/planted.ts → src/modules/subscriptions/subscription.entity.ts',
    ]);
  }, 60_000);

  it("fails on an import against DESIGN.md's module order, and between metering and billing", async () => {
    const result = await lintWith({
      'src/modules/policies/planted.ts': "export { PlansService } from '../plans/plans.service.js';\n",
      'src/modules/metering/planted.ts': "export { InvoicesService } from '../billing/invoices.service.js';\n",
    });
    expect(result.violations.filter((v) => !baseline.includes(v)).sort()).toEqual([
      'module-order-metering: src/modules/metering/planted.ts → src/modules/billing/invoices.service.ts',
      'module-order-policies: src/modules/policies/planted.ts → src/modules/plans/plans.service.ts',
    ]);
  }, 60_000);

  it('fails on an import cycle', async () => {
    const result = await lintWith({
      'src/common/planted-a.ts': "import { b } from './planted-b.js';\nexport const a = () => b;\n",
      'src/common/planted-b.ts': "import { a } from './planted-a.js';\nexport const b = () => a;\n",
    });
    expect(result.violations.filter((v) => !baseline.includes(v)).sort()).toEqual([
      'no-circular: src/common/planted-a.ts → src/common/planted-b.ts',
    ]);
  }, 60_000);
});
