// How the embedded stack starts its servers (PostgreSQL, the Temporal dev server): each in a process group of
// its own, so a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches only opsflow, which then stops
// API, workers, Temporal and PostgreSQL in that order. Without this, the servers die first and the workers spend
// their grace period retrying calls against a dead Temporal. If opsflow exits any other way than through that
// shutdown (a crash, process.exit), the servers are killed with it rather than left running.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export function spawnServer(executable: string, args: string[], options: Omit<SpawnOptions, 'detached' | 'stdio'> = {}): ChildProcess {
  const child = spawn(executable, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const killWithUs = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killWithUs);
  child.once('close', () => process.removeListener('exit', killWithUs));
  return child;
}
