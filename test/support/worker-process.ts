// A real `opsflow worker` process for durability tests: start it, SIGKILL it at any point, start another.
// It runs the same code a deployment runs, against the test stack, with the environment the test gives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'opsflow.mjs');

export interface WorkerProcess {
  pid: number;
  /** Everything the worker printed, for assertion messages. */
  output(): string;
  /** SIGKILL: no graceful shutdown, in-flight activities are abandoned mid-way. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<number | null>;
}

/** `env` is a testEnvironment() record plus DATABASE_URL; `queues` as for `opsflow worker --queue`. */
export function startWorkerProcess(env: Record<string, string>, queues: string): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'worker', '--queue', queues], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', OPSFLOW_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
