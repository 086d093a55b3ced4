// The workflow sandbox fence, proven by the real bundler: workflows/index.ts bundles, and a workflow that
// reaches for Node built-ins or the database does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/worker.ts';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const root = join(import.meta.dirname, '..', '..');

test('workflows/index.ts bundles for the sandbox', async () => {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
  assert.match(bundle.code, /probeWorkflow/);
});

for (const [what, importLine] of [
  ['a Node built-in', "import { readFileSync } from 'node:fs';\nexport const read = () => readFileSync('/etc/hostname');"],
  ['the database layer', "import { createOrm } from '../../../db/orm.ts';\nexport const open = () => createOrm('postgres://x');"],
]) {
  test(`a workflow importing ${what} fails to bundle`, async () => {
    // Inside the repository so the bundler resolves @temporalio/workflow as for real workflows; the `.bundle-tmp-`
    // prefix is excluded from typecheck, lint and git, which may run meanwhile.
    const dir = mkdtempSync(join(root, 'test', 'architecture', '.bundle-tmp-'));
    try {
      const file = join(dir, 'bad-workflow.ts');
      writeFileSync(file, `${importLine}\nexport async function badWorkflow() { return 1; }\n`);
      const errors: string[] = [];
      await assert.rejects(bundleWorkflowCode({ workflowsPath: file, logger: { ...silent, error: (message: string) => errors.push(message) } }), (error: Error) => {
        errors.push(error.message);
        return true;
      });
      // Rejected for the forbidden import, not for some unrelated resolution problem.
      const report = errors.join('\n');
      assert.match(report, /node:|Node\.js built-in|disallowed/i, report.slice(0, 2000));
      assert.doesNotMatch(report, /Can't resolve '@temporalio\/workflow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
