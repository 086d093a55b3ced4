// When a component of the embedded stack cannot start, `opsflow up` ends with one readable message that names the
// component, the command and the cause, exits non-zero, and stops whatever it had started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedUp, processesUsing, upPorts } from '../support/opsflow-up.ts';

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A readable failure: the component, the command, the cause; no stack trace and no unhandled 'error' event. */
function assertReadableFailure(output: string, component: string, command: RegExp, cause: RegExp): void {
  assert.match(output, new RegExp(`opsflow up: ${component} did not start`), output);
  assert.match(output, command, output);
  assert.match(output, cause, output);
  assert.doesNotMatch(output, /Unhandled 'error' event|\n\s+at .+:\d+:\d+/, 'no unhandled error and no stack trace');
}

test('PostgreSQL failing to start (its port is taken) is reported with the command and the cause', { timeout: 120_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'opsflow-pg-fails-'));
  const ports = await upPorts();
  const squatter = await listenOn(Number(ports.OPSFLOW_PG_PORT));
  try {
    const { code, output } = await failedUp({ env: { ...ports, OPSFLOW_HOME: home, OPSFLOW_LOG_LEVEL: 'warn' } });
    assert.equal(code, 1, output);
    assertReadableFailure(output, 'PostgreSQL', /command: .*postgres -D .* -p \d+/, /Address already in use.*OPSFLOW_PG_PORT|OPSFLOW_PG_PORT.*Address already in use/s);
    assert.deepEqual(processesUsing(home), [], 'the Temporal dev server started beside it was stopped');
  } finally {
    squatter.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('a missing Temporal CLI is reported with the command and the cause', { timeout: 120_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'opsflow-temporal-fails-'));
  const ports = await upPorts();
  try {
    const { code, output } = await failedUp({
      env: { ...ports, OPSFLOW_HOME: home, OPSFLOW_LOG_LEVEL: 'warn', OPSFLOW_TEMPORAL_BIN: join(home, 'no-such-temporal') },
    });
    assert.equal(code, 1, output);
    assertReadableFailure(output, 'Temporal dev server', /command: .*no-such-temporal server start-dev/, /no-such-temporal was not found/);
    assert.deepEqual(processesUsing(home), [], 'the PostgreSQL started beside it was stopped');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
