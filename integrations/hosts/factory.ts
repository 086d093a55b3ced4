// One place that turns a host's connection settings into its executor, so the API's host check and the deploy
// activities reach a host the same way.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboundPolicy } from '../outbound/policy.ts';
import type { HostExecutor } from './executor.ts';
import { LocalExecutor } from './local.ts';
import { SshExecutor } from './ssh.ts';

export type HostConnection =
  | { executor: 'ssh'; address: string; port: number; username: string; privateKey: string; hostKey: string }
  /** `root`: the folder standing in for the host's home (see localHostRoot). */
  | { executor: 'local'; root: string };

export function createHostExecutor(connection: HostConnection, deps: { policy: OutboundPolicy }): HostExecutor {
  if (connection.executor === 'local') return new LocalExecutor({ root: connection.root });
  const { address, port, username, privateKey, hostKey } = connection;
  return new SshExecutor({ address, port, username, privateKey, hostKey }, { policy: deps.policy });
}

/**
 * A local host (the demo, the benchmarks) is a folder of this machine under `<localHostsDir>/<host name>`: its
 * "home", where relative deploy dirs go. Created on first use; the name is validated (letters, digits, . _ -).
 */
export function localHostRoot(localHostsDir: string, hostName: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(hostName)) throw new Error(`host name "${hostName}" cannot name a folder`);
  const root = join(localHostsDir, hostName);
  mkdirSync(root, { recursive: true });
  return root;
}
