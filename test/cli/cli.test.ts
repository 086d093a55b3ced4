// The `opsflow` command as an operator meets it: help, exit codes, configuration errors listed at once, tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createTokenIssuer } from '../../security/tokens.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'opsflow.mjs');

function opsflow(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('help lists every command and each command has --help', () => {
  const overview = opsflow(['--help']);
  assert.equal(overview.code, 0);
  for (const name of ['up', 'worker', 'api', 'migrate', 'token', 'cmdb-emulator']) assert.match(overview.stdout, new RegExp(`\\b${name}\\b`));
  const worker = opsflow(['worker', '--help']);
  assert.equal(worker.code, 0);
  assert.match(worker.stdout, /--queue/);
});

test('an unknown command or option is a usage error (exit 2)', () => {
  assert.equal(opsflow(['deploy-everything']).code, 2);
  const bad = opsflow(['worker', '--queues', 'dr']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /queues/);
  const queue = opsflow(['worker', '--queue', 'mainframe']);
  assert.equal(queue.code, 2);
  assert.match(queue.stderr, /unknown queue mainframe/);
});

test('a bad environment stops start-up with one message naming every problem (exit 78)', () => {
  const result = opsflow(['api'], { OPSFLOW_API_PORT: 'http', DATABASE_URL: 'mysql://db/ops', TEMPORAL_TLS_CERT: '/c.pem' });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /OPSFLOW_API_PORT: must be a port number/);
  assert.match(result.stderr, /DATABASE_URL: must be a postgres/);
});

test('token create issues a token for the role that the API accepts', async () => {
  const secret = 'a-jwt-secret-for-the-cli-test-of-32-bytes';
  const result = opsflow(['token', 'create', '--role', 'approver', '--subject', 'alice', '--expires', '2h'], { OPSFLOW_JWT_SECRET: secret, OPSFLOW_HOME: '/nonexistent-never-written' });
  assert.equal(result.code, 0, result.stderr);
  const principal = await createTokenIssuer(new TextEncoder().encode(secret)).verify(result.stdout.trim());
  assert.deepEqual(principal, { subject: 'alice', role: 'approver' });
  const refused = opsflow(['token', 'create', '--role', 'root', '--subject', 'x'], { OPSFLOW_JWT_SECRET: secret });
  assert.equal(refused.code, 2);
});
