// Takes hosts out of (and back into) an nginx upstream on a load balancer reached through any HostExecutor: renders
// the upstream file, tests the configuration, reloads, and waits until the old workers have finished their requests.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { NGINX_FAILURES } from '../../contracts/failure-types.ts';
import { HostError, HostFileNotFoundError } from './errors.ts';
import type { HostExecutor } from './executor.ts';

export interface UpstreamMember {
  /** An IP address or a host name. */
  address: string;
  port: number;
  /** Marked `down`: nginx sends it no new requests. */
  down: boolean;
}

export interface LoadBalancer {
  /** The name in `upstream <name> { ... }`, as the rest of the configuration's `proxy_pass` refers to it. */
  upstreamName: string;
  /** The file holding only this upstream, included by the configuration. */
  upstreamFile: string;
  /** e.g. `nginx -t -p PREFIX -c CONF`: must exit non-zero for a configuration nginx would refuse. */
  testArgv: readonly string[];
  /** e.g. `nginx -s reload -p PREFIX -c CONF`. */
  reloadArgv: readonly string[];
  /** The master's pid file. */
  pidFile: string;
}

export interface ApplyUpstreamOptions {
  /** Bounds each command and the wait for the old workers. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ApplyUpstreamResult {
  /** false when the file already said this: nothing was reloaded. */
  changed: boolean;
  /** The master's children before the reload, all gone when this returns. */
  oldWorkers: number[];
  waitedMs: number;
}

/** The upstream asked for is not one to write: `field` names what is wrong. */
export class NginxUpstreamInvalidError extends Error {
  override readonly name = NGINX_FAILURES.upstreamInvalid;
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** nginx refused the configuration; `lines` is what `nginx -t` said (local configuration errors, safe to show). */
export class NginxConfigError extends HostError {
  override readonly name = NGINX_FAILURES.config;
  readonly lines: string[];
  /** The previous upstream file was put back (false when there was none to put back). */
  readonly restored: boolean;

  constructor(target: string, lines: string[], restored: boolean) {
    super(target, `nginx refused the new upstream (${restored ? 'the previous file is back' : 'there was no previous file to put back'}): ${lines.join(' | ')}`);
    this.lines = lines;
    this.restored = restored;
  }
}

/** The master's pid could not be read, or the reload command failed: nginx kept its old configuration. */
export class NginxReloadError extends HostError {
  override readonly name = NGINX_FAILURES.reload;
}

/** The new configuration is live, but old workers still serve requests to the members it took out. */
export class NginxDrainTimeoutError extends HostError {
  override readonly name = NGINX_FAILURES.drainTimeout;
  readonly remainingWorkers: number[];

  constructor(target: string, remainingWorkers: number[], timeoutMs: number) {
    super(target, `old nginx workers ${remainingWorkers.join(', ')} were still running after ${timeoutMs} ms; do not stop the drained members yet`);
    this.remainingWorkers = remainingWorkers;
  }
}

const hostLabel = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function serverLine(member: UpstreamMember, index: number): string {
  const { address, port } = member;
  const isHostName = address.length <= 253 && address.split('.').every((label) => hostLabel.test(label));
  if (isIP(address) === 0 && !isHostName) throw new NginxUpstreamInvalidError(`members.${index}.address`, `"${address}" is neither an IP address nor a host name`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NginxUpstreamInvalidError(`members.${index}.port`, `${port} is not a port (1 to 65535)`);
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return `    server ${host}:${port}${member.down ? ' down' : ''};`;
}

/** The upstream file's text; refuses bad names, addresses and ports, and an upstream with no live member. */
export function renderUpstream(name: string, members: readonly UpstreamMember[]): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new NginxUpstreamInvalidError('name', `"${name}" is not an upstream name (letters, digits, _ and -)`);
  const lines = members.map(serverLine);
  if (!members.some((member) => !member.down)) {
    throw new NginxUpstreamInvalidError('members', 'no member would be left up: draining the last live member would take the service down');
  }
  return `upstream ${name} {\n${lines.join('\n')}\n}\n`;
}

async function output(executor: HostExecutor, argv: readonly string[], options: ApplyUpstreamOptions) {
  const lines: string[] = [];
  const result = await executor.run(argv, { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}), onLine: (_stream, line) => lines.push(line) });
  return { ok: result.exitCode === 0, lines: lines.filter((line) => line.trim() !== '') };
}

/** The pids among `pids` still in the process table; a zombie counts, so a pid is gone only once it cannot be signalled. */
async function stillRunning(executor: HostExecutor, pids: readonly number[], options: ApplyUpstreamOptions): Promise<number[]> {
  const { lines } = await output(executor, ['ps', '-o', 'pid=', '-p', pids.join(',')], options);
  return lines.map(Number);
}

async function childrenOf(executor: HostExecutor, lb: LoadBalancer, options: ApplyUpstreamOptions): Promise<{ master: number; workers: number[] }> {
  const pidText = (await executor.readFile(lb.pidFile, { maxBytes: 64 })).toString().trim();
  const master = Number(pidText);
  if (!/^[0-9]+$/.test(pidText) || master < 2) throw new NginxReloadError(executor.target, `${lb.pidFile} holds "${pidText}", not the master's pid`);
  const { lines } = await output(executor, ['ps', '-o', 'pid=', '--ppid', String(master)], options);
  return { master, workers: lines.map(Number) };
}

/**
 * Writes the upstream, tests it, reloads nginx and waits until every old worker has exited. nginx's reload returns
 * at once while old workers finish their in-flight requests, possibly to a member just marked down: only once they
 * are gone may that member be stopped without failing requests. An unchanged file reloads nothing.
 */
export async function applyUpstream(executor: HostExecutor, lb: LoadBalancer, members: readonly UpstreamMember[], options: ApplyUpstreamOptions): Promise<ApplyUpstreamResult> {
  const content = Buffer.from(renderUpstream(lb.upstreamName, members));
  const previous = await executor.readFile(lb.upstreamFile, { maxBytes: 1024 * 1024 }).catch((error: unknown) => {
    if (error instanceof HostFileNotFoundError) return undefined;
    throw error;
  });
  if (previous?.equals(content)) return { changed: false, oldWorkers: [], waitedMs: 0 };

  const sha256 = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex');
  await executor.putFile(lb.upstreamFile, content, { sha256: sha256(content) });
  const test = await output(executor, lb.testArgv, options);
  if (!test.ok) {
    if (previous !== undefined) {
      await executor.putFile(lb.upstreamFile, previous, { sha256: sha256(previous) });
      // Put back is not proof of health: a configuration broken by someone else must not pass for restored.
      const retest = await output(executor, lb.testArgv, options);
      if (!retest.ok) throw new NginxConfigError(executor.target, [...test.lines, 'and with the previous file put back:', ...retest.lines], true);
    }
    throw new NginxConfigError(executor.target, test.lines, previous !== undefined);
  }

  const { workers } = await childrenOf(executor, lb, options);
  const reload = await output(executor, lb.reloadArgv, options);
  if (!reload.ok) throw new NginxReloadError(executor.target, `the reload failed: ${reload.lines.join(' | ')}`);

  const started = Date.now();
  let remaining = workers;
  while (remaining.length > 0) {
    options.signal?.throwIfAborted();
    remaining = await stillRunning(executor, remaining, options);
    if (remaining.length === 0) break;
    if (Date.now() - started > options.timeoutMs) throw new NginxDrainTimeoutError(executor.target, remaining, options.timeoutMs);
    await sleep(50, undefined, options.signal ? { signal: options.signal } : {});
  }
  return { changed: true, oldWorkers: workers, waitedMs: Date.now() - started };
}

function withMember(members: readonly UpstreamMember[], address: string, port: number, down: boolean): UpstreamMember[] {
  if (!members.some((member) => member.address === address && member.port === port)) {
    throw new NginxUpstreamInvalidError('member', `${address}:${port} is not a member of the upstream`);
  }
  return members.map((member) => (member.address === address && member.port === port ? { ...member, down } : member));
}

/** Marks one member down and returns once no nginx worker can still send it a request. */
export function drainHost(executor: HostExecutor, lb: LoadBalancer, members: readonly UpstreamMember[], host: { address: string; port: number }, options: ApplyUpstreamOptions): Promise<ApplyUpstreamResult> {
  return applyUpstream(executor, lb, withMember(members, host.address, host.port, true), options);
}

/** Marks one member up again. */
export function undrainHost(executor: HostExecutor, lb: LoadBalancer, members: readonly UpstreamMember[], host: { address: string; port: number }, options: ApplyUpstreamOptions): Promise<ApplyUpstreamResult> {
  return applyUpstream(executor, lb, withMember(members, host.address, host.port, false), options);
}
