// The local executor: the shared contract, plus what only it promises: no path leaves its root, and opsflow's own
// environment never reaches the commands it runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostRequestError } from '../../integrations/hosts/errors.ts';
import { LocalExecutor } from '../../integrations/hosts/local.ts';
import { runHostExecutorContract } from './contract.ts';

const folders: string[] = [];
async function freshRoot(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'opsflow-local-host-'));
  folders.push(folder);
  return folder;
}
after(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

runHostExecutorContract('local', async () => new LocalExecutor({ root: await freshRoot() }));

describe('local executor', () => {
  let outside: string;
  let executor: LocalExecutor;

  before(async () => {
    const root = await freshRoot();
    outside = await freshRoot();
    await writeFile(join(outside, 'secret.txt'), 'not yours\n');
    await symlink(outside, join(root, 'escape'));
    await mkdir(join(root, 'inside'));
    executor = new LocalExecutor({ root });
  });

  test('no path may leave the root: not by "..", not absolute, not through a symbolic link', async () => {
    const content = Buffer.from('x');
    const sha256 = createHash('sha256').update(content).digest('hex');
    for (const path of ['../x', 'inside/../../x', join(outside, 'secret.txt'), 'escape/secret.txt', 'escape/new/file']) {
      await assert.rejects(executor.readFile(path, { maxBytes: 100 }), HostRequestError, `readFile ${path}`);
      await assert.rejects(executor.putFile(path, content, { sha256 }), HostRequestError, `putFile ${path}`);
      await assert.rejects(executor.run(['true'], { cwd: path, timeoutMs: 5_000 }), HostRequestError, `cwd ${path}`);
    }
  });

  test('a root that is not absolute is refused', () => {
    assert.throws(() => new LocalExecutor({ root: 'relative/root' }), HostRequestError);
  });

  test("opsflow's own environment does not reach the command", async () => {
    process.env['OPSFLOW_TEST_SECRET_PROBE'] = 'must not leak';
    try {
      const lines: string[] = [];
      await executor.run(['env'], { timeoutMs: 5_000, env: { GIVEN: 'yes' }, onLine: (_stream, line) => lines.push(line) });
      assert.ok(lines.includes('GIVEN=yes'));
      assert.ok(!lines.some((line) => line.startsWith('OPSFLOW_TEST_SECRET_PROBE=')), lines.join('\n'));
    } finally {
      delete process.env['OPSFLOW_TEST_SECRET_PROBE'];
    }
  });
});
