// Runs `opsflow up` as a user would (a child process on ports of its own) for the end-to-end tests of the
// embedded stack, and looks at what it leaves behind.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../scripts/free-port.ts';
import { waitFor } from './wait.ts';

export interface RunningUp {
  /** Signals `opsflow up` alone, or with `toGroup` its whole process group, as a terminal's Ctrl-C does. */
  stop(signal: NodeJS.Signals, options?: { toGroup?: boolean }): Promise<number | null>;
  output(): string;
}

export interface UpOptions {
  /** The checkout to run `bin/opsflow.mjs` from; this one by default. */
  checkout?: string;
  env: Record<string, string>;
}

/** Ports for every server `opsflow up` starts, as the environment that sets them. */
export async function upPorts(): Promise<Record<string, string>> {
  return {
    OPSFLOW_API_PORT: String(await freePort()),
    OPSFLOW_PG_PORT: String(await freePort()),
    OPSFLOW_TEMPORAL_PORT: String(await freePort()),
    OPSFLOW_TEMPORAL_UI_PORT: String(await freePort()),
    OPSFLOW_WORKER_METRICS_PORT: String(await freePort()),
    OPSFLOW_CMDB_EMULATOR_PORT: String(await freePort()),
  };
}

function spawnUp({ checkout = join(import.meta.dirname, '..', '..'), env }: UpOptions) {
  const child = spawn(process.execPath, [join(checkout, 'bin', 'opsflow.mjs'), 'up'], {
    cwd: checkout,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', OPSFLOW_TEMPORAL_BIN: process.env.OPSFLOW_TEMPORAL_BIN ?? 'temporal', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a shell gives a foreground job, so the test can signal the whole group.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Starts `opsflow up` and waits for its ready banner; fails with its output if it exits first. */
export async function startUp(options: UpOptions): Promise<RunningUp> {
  const { child, exited, output } = spawnUp(options);
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => `opsflow up to print its ready banner\n${output()}`, () => gone || output().includes('opsflow is up'), 180_000, 200);
  assert.equal(gone ? `exited with ${child.exitCode}` : 'up', 'up', output());
  return {
    output,
    async stop(signal, { toGroup = false } = {}) {
      if (toGroup) process.kill(-child.pid!, signal);
      else child.kill(signal);
      return exited;
    },
  };
}

/** Runs `opsflow up` expecting it to fail on its own: its exit code and everything it printed. */
export async function failedUp(options: UpOptions): Promise<{ code: number | null; output: string }> {
  const { exited, output } = spawnUp(options);
  const code = await exited;
  return { code, output: output() };
}

export function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

/** Processes whose command line mentions `marker` (e.g. the state directory), other than ps itself. */
export function processesUsing(marker: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(marker) && !line.includes('ps -eo'));
}
