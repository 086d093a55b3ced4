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
  /** The previous upstream file was put back (false: there was none, and the new file was removed). */
  readonly restored: boolean;

  constructor(target: string, lines: string[], restored: boolean) {
    super(target, `nginx refused the new upstream (${restored ? 'the previous file is back' : 'there was none before, so the new file was removed'}): ${lines.join(' | ')}`);
    this.lines = lines;
    this.restored = restored;
  }
}

/** The master's pid could not be read, a command did not finish in time, or the reload failed; the previous file is back. */
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
  // A killed command proves nothing: an empty `ps` listing must not read as "every old worker is gone".
  if (result.cancelled) options.signal?.throwIfAborted();
  if (result.timedOut) throw new NginxReloadError(executor.target, `${argv.join(' ')} did not finish within ${options.timeoutMs} ms`);
  return { ok: result.exitCode === 0, lines: lines.filter((line) => line.trim() !== '') };
}

/** The master's children; old workers, after a reload, call themselves "worker process is shutting down". */
async function childrenOf(executor: HostExecutor, lb: LoadBalancer, options: ApplyUpstreamOptions): Promise<{ pid: number; shuttingDown: boolean }[]> {
  const pidText = (await executor.readFile(lb.pidFile, { maxBytes: 64 })).toString().trim();
  if (!/^[0-9]+$/.test(pidText) || Number(pidText) < 2) throw new NginxReloadError(executor.target, `${lb.pidFile} holds "${pidText}", not the master's pid`);
  const { lines } = await output(executor, ['ps', '-o', 'pid=,args=', '--ppid', pidText], options);
  return lines.map((line) => ({ pid: Number(line.trim().split(/\s+/)[0]), shuttingDown: line.includes('shutting down') }));
}

/** Polls until none of `pids` is in the process table (a zombie counts: it can still be signalled); the time it took. */
async function waitForExit(executor: HostExecutor, pids: readonly number[], options: ApplyUpstreamOptions): Promise<number> {
  const started = Date.now();
  let remaining = [...pids];
  while (remaining.length > 0) {
    remaining = (await output(executor, ['ps', '-o', 'pid=', '-p', remaining.join(',')], options)).lines.map(Number);
    if (remaining.length === 0) break;
    if (Date.now() - started > options.timeoutMs) throw new NginxDrainTimeoutError(executor.target, remaining, options.timeoutMs);
    await sleep(50, undefined, options.signal ? { signal: options.signal } : {});
  }
  return Date.now() - started;
}

const sha256 = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex');

/**
 * Writes the upstream, tests it, reloads nginx and waits until every old worker has exited. nginx's reload returns
 * at once while old workers finish their in-flight requests, possibly to a member just marked down: only once they
 * are gone may that member be stopped without failing requests. An unchanged file reloads nothing.
 */
export async function applyUpstream(executor: HostExecutor, lb: LoadBalancer, members: readonly UpstreamMember[], options: ApplyUpstreamOptions): Promise<ApplyUpstreamResult> {
  options.signal?.throwIfAborted();
  const content = Buffer.from(renderUpstream(lb.upstreamName, members));
  const previous = await executor.readFile(lb.upstreamFile, { maxBytes: 1024 * 1024 }).catch((error: unknown) => {
    if (error instanceof HostFileNotFoundError) return undefined;
    throw error;
  });
  if (previous?.equals(content)) {
    // An earlier call may have reloaded this very file and then timed out or been aborted while old workers still
    // served the members it took out: a retry waits for them too, so it is as safe as the first call.
    const oldWorkers = (await childrenOf(executor, lb, options)).filter((child) => child.shuttingDown).map((child) => child.pid);
    return { changed: false, oldWorkers, waitedMs: await waitForExit(executor, oldWorkers, options) };
  }

  // Until the reload succeeds the file must say what nginx runs, or a retry would take it for applied: put back the
  // previous file, or remove the new one when there was none.
  const putBack = async () => {
    if (previous === undefined) await executor.run(['rm', '-f', lb.upstreamFile], { timeoutMs: options.timeoutMs });
    else await executor.putFile(lb.upstreamFile, previous, { sha256: sha256(previous) });
  };
  await executor.putFile(lb.upstreamFile, content, { sha256: sha256(content) });
  let workers: number[];
  try {
    const test = await output(executor, lb.testArgv, options);
    if (!test.ok) {
      await putBack();
      // Put back is not proof of health: a configuration broken by someone else must not pass for restored.
      const retest = previous === undefined ? { ok: true, lines: [] } : await output(executor, lb.testArgv, options);
      throw new NginxConfigError(executor.target, retest.ok ? test.lines : [...test.lines, 'and with the previous file put back:', ...retest.lines], previous !== undefined);
    }
    workers = (await childrenOf(executor, lb, options)).map((child) => child.pid);
    const reload = await output(executor, lb.reloadArgv, options);
    if (!reload.ok) throw new NginxReloadError(executor.target, `the reload failed: ${reload.lines.join(' | ')}`);
  } catch (error) {
    if (!(error instanceof NginxConfigError)) await putBack();
    throw error;
  }
  return { changed: true, oldWorkers: workers, waitedMs: await waitForExit(executor, workers, options) };
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
