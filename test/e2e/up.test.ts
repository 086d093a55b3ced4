// `opsflow up` (what `npm start` runs) as a user sees it: the whole embedded stack comes up on the ports it is
// given, answers /readyz, serves the Web UI and seeds the demo; SIGINT leaves no process behind; a second start
// reuses the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portIsClosed, processesUsing, startUp, upPorts } from '../support/opsflow-up.ts';
import { waitFor } from '../support/wait.ts';

test('opsflow up: ready, Web UI, demo probes, clean SIGINT, data reused on restart', { timeout: 240_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'opsflow-up-'));
  chmodSync(home, 0o755); // as a checkout would be; keeps PostgreSQL's data (and its command line) under home
  const ports = await upPorts();
  const [api, pg, temporal, ui] = [ports.OPSFLOW_API_PORT, ports.OPSFLOW_PG_PORT, ports.OPSFLOW_TEMPORAL_PORT, ports.OPSFLOW_TEMPORAL_UI_PORT].map(Number) as [number, number, number, number];
  const env = { ...ports, OPSFLOW_HOME: home, OPSFLOW_LOG_LEVEL: 'warn' };
  try {
    const first = await startUp({ env });
    const ready = await fetch(`http://127.0.0.1:${api}/readyz`);
    assert.equal(ready.status, 200);
    const webUi = await fetch(`http://127.0.0.1:${ui}/`);
    assert.equal(webUi.status, 200);
    const token = readFileSync(join(home, 'admin-token'), 'utf8').trim();
    assert.ok(first.output().includes(token), 'the admin token is printed');
    assert.match(first.output(), new RegExp(`http://127.0.0.1:${ui}`));

    // The demo's probes (one per task queue) are answered by the embedded workers.
    const probe = await fetch(`http://127.0.0.1:${api}/v1/probes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'deploy', note: 'from the up test' }),
    });
    assert.equal(probe.status, 202);
    const { id } = (await probe.json()) as { id: string };
    await waitFor(`probe ${id} to complete`, async () => {
      const read = await fetch(`http://127.0.0.1:${api}/v1/probes/${id}`, { headers: { authorization: `Bearer ${token}` } });
      return ((await read.json()) as { state: string }).state === 'completed';
    }, 10_000);

    // Ctrl-C in a terminal: SIGINT to the whole process group. The servers sit in groups of their own, so
    // opsflow stops them in order and the workers never retry calls against a Temporal that died first.
    assert.equal(await first.stop('SIGINT', { toGroup: true }), 0, first.output());
    assert.doesNotMatch(first.output(), /retried \d+ times|Network error while completing/, 'no worker call against a stopped server');
    assert.deepEqual(processesUsing(home), [], 'no opsflow, temporal or postgres process is left behind');
    for (const port of [api, pg, temporal, ui]) assert.ok(await portIsClosed(port), `port ${port} is released`);

    const second = await startUp({ env });
    const again = await fetch(`http://127.0.0.1:${api}/v1/probes/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 200, 'the probe from the first run is still there: data was reused');
    assert.equal(await second.stop('SIGTERM'), 0, second.output());
    assert.deepEqual(processesUsing(home), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
