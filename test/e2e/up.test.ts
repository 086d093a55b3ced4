// `opsflow up` (what `npm start` runs) as a user sees it: the whole embedded stack comes up on the ports it is
// given, answers /readyz, serves the Web UI and seeds the demo; SIGINT leaves no process behind; a second start
// reuses the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/free-port.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'opsflow.mjs');

interface Started {
  stop(signal: NodeJS.Signals): Promise<number | null>;
  output(): string;
}

async function startUp(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'up'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', OPSFLOW_TEMPORAL_BIN: process.env.OPSFLOW_TEMPORAL_BIN ?? 'temporal', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => ((gone = true), resolve(code))));
  while (!gone && !output.includes('opsflow is up')) await new Promise((resolve) => setTimeout(resolve, 200));
  const upOrExit = gone ? `exited with ${child.exitCode}` : 'up';
  assert.equal(upOrExit, 'up', output);
  return {
    output: () => output,
    async stop(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

/** Processes whose command line mentions `marker` (the state directory), other than ps itself. */
function processesUsing(marker: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(marker) && !line.includes('ps -eo'));
}

test('opsflow up: ready, Web UI, demo probes, clean SIGINT, data reused on restart', { timeout: 240_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'opsflow-up-'));
  chmodSync(home, 0o755); // as a checkout would be; keeps PostgreSQL's data (and its command line) under home
  const [api, pg, temporal, ui] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    OPSFLOW_HOME: home,
    OPSFLOW_API_PORT: String(api),
    OPSFLOW_PG_PORT: String(pg),
    OPSFLOW_TEMPORAL_PORT: String(temporal),
    OPSFLOW_TEMPORAL_UI_PORT: String(ui),
    OPSFLOW_WORKER_METRICS_PORT: String(await freePort()),
    OPSFLOW_CMDB_EMULATOR_PORT: String(await freePort()),
    OPSFLOW_LOG_LEVEL: 'warn',
  };
  try {
    const first = await startUp(env);
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
    let state = 'pending';
    for (let attempt = 0; attempt < 100 && state !== 'completed'; attempt += 1) {
      const read = await fetch(`http://127.0.0.1:${api}/v1/probes/${id}`, { headers: { authorization: `Bearer ${token}` } });
      state = ((await read.json()) as { state: string }).state;
      if (state !== 'completed') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(state, 'completed');

    assert.equal(await first.stop('SIGINT'), 0, first.output());
    assert.deepEqual(processesUsing(home), [], 'no opsflow, temporal or postgres process is left behind');
    for (const port of [api, pg, temporal, ui]) assert.ok(await portIsClosed(port), `port ${port} is released`);

    const second = await startUp(env);
    const again = await fetch(`http://127.0.0.1:${api}/v1/probes/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 200, 'the probe from the first run is still there: data was reused');
    assert.equal(await second.stop('SIGTERM'), 0, second.output());
    assert.deepEqual(processesUsing(home), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
