// The API fuzzed from its own OpenAPI document with Schemathesis, as a hostile but authorised client would:
// for every operation no 5xx, every status documented, every 4xx the documented JSON error, and every response
// matching its schema. Fuzzed bodies carry arbitrary URLs, endpoints and addresses, so this deployment's outbound
// policy allows loopback only: no fuzzed value can make opsflow dial anything else. No workers run, so nothing a
// fuzzed create schedules is ever executed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

/** Examples per operation and phase: enough to reach every branch of validation, bounded to keep `npm test` short. */
const EXAMPLES_PER_OPERATION = 12;
const SEED = 20261204;

let stack: DomainStack;
let origin: string;

before(async () => {
  stack = await startDomainStack({ queues: [], workers: false, env: { OPSFLOW_OUTBOUND_ALLOW: '127.0.0.0/8', OPSFLOW_CODEC_ENDPOINT: 'true' } });
  origin = await stack.app.listen({ host: '127.0.0.1', port: 0 });
});

after(() => stack?.close());

function schemathesis(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const executable = process.env.OPSFLOW_SCHEMATHESIS_BIN ?? 'st';
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

test('every operation survives fuzzing: no 5xx, documented statuses, documented error bodies, valid responses', { timeout: 240_000 }, async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'opsflow-fuzz-'));
  try {
    const { authorization } = await stack.bearer('admin', 'fuzzer');
    const { code, output } = await schemathesis(
      [
        'run', `${origin}/openapi.json`,
        '--header', `Authorization: ${authorization}`,
        '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
        '--max-examples', String(EXAMPLES_PER_OPERATION),
        '--seed', String(SEED),
        '--workers', '1',
        '--request-timeout', '30',
        '--max-redirects', '0',
        '--no-color',
      ],
      workDir,
    );
    // The failures section names each operation, the check it broke and a curl line that reproduces it.
    const failures = output.indexOf('FAILURES');
    const summary = (failures >= 0 ? output.slice(failures) : output).split('\n').slice(0, 200).join('\n');
    assert.equal(code, 0, `Schemathesis found failures (seed ${SEED}):\n${summary}`);
    // The summary (operations tested, cases generated) in the test output, so a run shows what it covered.
    process.stdout.write(output.split('\n').slice(-25).join('\n'));
    assert.match(output, /Tested: \d+/, 'it tested the operations');
    const [, selected, total] = /Selected: (\d+)\/(\d+)/.exec(output) ?? [];
    assert.equal(selected, total, 'every operation was selected');
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});
