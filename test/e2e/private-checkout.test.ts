// A newcomer's first command from a checkout in a folder only its owner may enter (a `mktemp -d`, /root/...): as
// root, PostgreSQL runs as the `postgres` user, which cannot reach anything inside such a folder. `opsflow up`
// must still come up there and stop cleanly. The test clones this repository's committed HEAD into a fresh 0700
// folder and runs the clone's own `opsflow up` with its state in the clone's .opsflow/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portIsClosed, processesUsing, startUp, upPorts } from '../support/opsflow-up.ts';

const repository = join(import.meta.dirname, '..', '..');

test('opsflow up comes up from a clone in a 0700 folder and stops cleanly', { timeout: 240_000 }, async () => {
  const privateFolder = mkdtempSync(join(tmpdir(), 'opsflow-private-'));
  assert.equal(statSync(privateFolder).mode & 0o777, 0o700, 'mkdtemp makes a folder only its owner may enter');
  const checkout = join(privateFolder, 'p');
  execFileSync('git', ['clone', '--quiet', repository, checkout]);
  // The dependencies as `npm ci` would lay them out, hard-linked to save a download: what matters is that the
  // PostgreSQL binaries now sit inside the private folder.
  try {
    execFileSync('cp', ['-al', join(repository, 'node_modules'), join(checkout, 'node_modules')], { stdio: 'ignore' });
  } catch {
    // Hard links cannot cross file systems (a checkout on another one than the temp dir): copy instead.
    rmSync(join(checkout, 'node_modules'), { recursive: true, force: true });
    execFileSync('cp', ['-a', join(repository, 'node_modules'), join(checkout, 'node_modules')]);
  }

  const ports = await upPorts();
  const clusterLink = join(checkout, '.opsflow', 'pg', 'cluster');
  try {
    const up = await startUp({ checkout, env: { ...ports, OPSFLOW_LOG_LEVEL: 'warn' } });
    const ready = await fetch(`http://127.0.0.1:${ports.OPSFLOW_API_PORT}/readyz`);
    assert.equal(ready.status, 200, await ready.text());

    const [postgres] = processesUsing(`-p ${ports.OPSFLOW_PG_PORT}`).filter((line) => line.includes('postgres -D'));
    assert.ok(postgres, 'PostgreSQL runs on the port it was given');
    if (process.getuid?.() === 0) {
      assert.ok(!postgres.includes(privateFolder), `as root, the postgres user runs binaries and data it can reach, outside the private folder: ${postgres}`);
    }

    assert.equal(await up.stop('SIGINT'), 0, up.output());
    assert.deepEqual(processesUsing(checkout), [], 'nothing started from the checkout is left running');
    for (const port of [ports.OPSFLOW_API_PORT, ports.OPSFLOW_PG_PORT, ports.OPSFLOW_TEMPORAL_PORT, ports.OPSFLOW_TEMPORAL_UI_PORT]) {
      assert.ok(await portIsClosed(Number(port)), `port ${port} is released`);
    }
  } finally {
    // As root the cluster lives outside the private folder, behind a symlink: remove it too.
    if (existsSync(clusterLink)) rmSync(readlinkSync(clusterLink), { recursive: true, force: true });
    rmSync(privateFolder, { recursive: true, force: true });
  }
});
