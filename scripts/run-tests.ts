// `npm test`: typecheck, lint, then start ONE embedded PostgreSQL and ONE Temporal dev server for the whole run,
// run every test file with node's test runner against them, and stop both whatever the outcome.
// Test files isolate themselves: each makes its own database and its own task-queue prefix (test/support/).
// Usage: npm test [-- [--test-name-pattern=<regex>] test/some/file.test.ts ...]; options go to node's test runner.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './stack/postgres.ts';
import { startTemporalDevServer } from './stack/temporal-dev.ts';
import { freePort } from './free-port.ts';

const root = join(import.meta.dirname, '..');

function step(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  process.stdout.write(`\n== ${name}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

const requested = process.argv.slice(2);
const runnerOptions = requested.filter((arg) => arg.startsWith('--'));
const requestedFiles = requested.filter((arg) => !arg.startsWith('--'));
const files = requestedFiles.length > 0 ? requestedFiles : ['test/**/*.test.ts'];

if (requested.length === 0) {
  if ((await step('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json'])) !== 0) process.exit(1);
  if ((await step('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.'])) !== 0) process.exit(1);
}

process.stdout.write('\n== starting the test stack (embedded PostgreSQL, Temporal dev server)\n');
const temporalBin = process.env.OPSFLOW_TEMPORAL_BIN ?? 'temporal';
const dataDir = mkdtempSync(join(tmpdir(), 'opsflow-test-'));
const [pgPort, temporalPort] = [await freePort(), await freePort()];
const postgres = await startEmbeddedPostgres({ dataDir, port: pgPort, database: 'opsflow_test', ephemeral: true });
let exitCode: number;
try {
  const temporal = await startTemporalDevServer({ executable: temporalBin, port: temporalPort, namespace: 'default' });
  try {
    exitCode = await step(
      'tests',
      process.execPath,
      ['--test', '--test-concurrency=3', '--test-timeout=300000', ...runnerOptions, ...files],
      {
        ...process.env,
        OPSFLOW_TEST_POSTGRES_URL: postgres.urlFor('postgres'),
        OPSFLOW_TEST_TEMPORAL_ADDRESS: temporal.address,
        OPSFLOW_TEMPORAL_BIN: temporalBin,
      },
    );
  } finally {
    await temporal.stop();
  }
} finally {
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
