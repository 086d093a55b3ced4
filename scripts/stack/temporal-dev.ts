// The Temporal dev server (`temporal server start-dev`) for the embedded stack and the tests: a full Temporal
// server on SQLite with the Web UI, started with opsflow's search attributes registered.
import type { ChildProcess } from 'node:child_process';
import { spawnServer } from './server-process.ts';
import { Connection } from '@temporalio/client';
import { OPS_SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.ts';
import { ComponentStartError, describeSpawnFailure, lastLines } from './start-error.ts';

export interface TemporalDevServerOptions {
  executable: string;
  port: number;
  /** A Web UI port, or undefined for a headless server. */
  uiPort?: number;
  /** SQLite file that keeps state across restarts; in memory when omitted. */
  dbFile?: string;
  namespace: string;
  uiCodecEndpoint?: string;
  onLog?: (line: string) => void;
}

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', options.namespace, '--log-level', 'warn'];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  for (const key of OPS_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);

  const command = [options.executable, ...args].join(' ');
  const child = spawnServer(options.executable, args);
  const log = options.onLog ?? (() => {});
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // A spawn that fails (no such executable, not executable) emits 'error' and then 'close' without 'exit'.
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

  const address = `127.0.0.1:${options.port}`;
  try {
    await waitUntilServing(address, options.namespace, exited);
  } catch (error) {
    await stopChild(child, exited);
    const reason = spawnError
      ? describeSpawnFailure(spawnError, options.executable)
      : child.exitCode !== null
        ? `the server exited with code ${child.exitCode}: ${lastLines(output)}`
        : `${(error as Error).message}: ${lastLines(output)}`;
    throw new ComponentStartError('Temporal dev server', command, reason, { cause: error });
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    stop: () => stopChild(child, exited),
  };
}

async function waitUntilServing(address: string, namespace: string, exited: Promise<number | null>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (gone) throw new Error('the process exited');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`not serving after 60 s (${String(lastError)})`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
