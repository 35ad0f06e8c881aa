import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = process.cwd();
const run = promisify(execFile);

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** `npm run lint:boundaries` (the half of `npm run lint` that checks the boundaries), word by word. */
const LINT = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[
  'lint:boundaries'
].split(' ');

/**
 * Runs that command on a copy of the repository's src/ (with its configuration) with `planted`
 * files added; answers whether it failed, and the violations it found.
 */
async function lintWith(
  planted: Record<string, string>,
  { exitCode = false } = {},
): Promise<{ failed?: boolean; violations: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'eshtarek-boundaries-'));
  try {
    await cp(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    for (const file of ['tsconfig.json', '.dependency-cruiser.cjs']) {
      await cp(join(ROOT, file), join(dir, file));
    }
    for (const shared of ['node_modules', 'migrations']) await symlink(join(ROOT, shared), join(dir, shared));
    for (const [path, text] of Object.entries(planted)) await writeFile(join(dir, path), text);
    const [bin, ...args] = LINT;
    const depcruise = (...extra: string[]) =>
      run(process.execPath, [join(ROOT, 'node_modules/.bin', bin), ...args, ...extra], {
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
    const violations = summary.violations
      .filter((v) => v.rule.severity !== 'ignore')
      .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    return { failed, violations };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('npm run lint: the boundaries', () => {
  it('passes on the tree as it is', async () => {
    expect(await lintWith({}, { exitCode: true })).toEqual({ failed: false, violations: [] });
  }, 60_000);

  it('fails on common/ importing a module', async () => {
    const result = await lintWith(
      {
        'src/common/planted.ts': "export { AuditService } from '../modules/audit/audit.service.js';\n",
      },
      { exitCode: true },
    );
    expect(result.failed).toBe(true);
    expect(result.violations).toEqual(['no-common-to-modules: src/common/planted.ts → src/modules/audit/audit.service.ts']);
  }, 60_000);

  it("fails on a module importing another module's entity", async () => {
    // Metering may import subscriptions (subscriptions is to its left), but not through its entity.
    const result = await lintWith(
      { 'src/modules/metering/planted.ts': "export type { Subscription } from '../subscriptions/subscription.entity.js';\n" },
      { exitCode: true },
    );
    expect(result.failed).toBe(true);
    expect(result.violations).toEqual([
      'no-foreign-entities: src/modules/metering/planted.ts → src/modules/subscriptions/subscription.entity.ts',
    ]);
  }, 60_000);

  it("fails on an import against DESIGN.md's module order, and between metering and billing", async () => {
    const result = await lintWith({
      'src/modules/policies/planted.ts': "export { PlansService } from '../plans/plans.service.js';\n",
      'src/modules/metering/planted.ts': "export { InvoicesService } from '../billing/invoices.service.js';\n",
    });
    expect(result.violations.sort()).toEqual([
      'module-order-metering: src/modules/metering/planted.ts → src/modules/billing/invoices.service.ts',
      'module-order-policies: src/modules/policies/planted.ts → src/modules/plans/plans.service.ts',
    ]);
  }, 60_000);

  it('fails on an import cycle', async () => {
    const result = await lintWith({
      'src/common/planted-a.ts': "import { b } from './planted-b.js';\nexport const a = () => b;\n",
      'src/common/planted-b.ts': "import { a } from './planted-a.js';\nexport const b = () => a;\n",
    });
    expect(result.violations.sort()).toEqual(['no-circular: src/common/planted-a.ts → src/common/planted-b.ts']);
  }, 60_000);
});
