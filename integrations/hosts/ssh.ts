// The ssh executor: commands and files on a remote host over one reused SSH connection (npm ssh2), with key
// authentication only, a pinned host key, the outbound policy checked before any connection, and timers of its own.
// SSH carries a command line, not an argv: every argument is single-quoted for the remote user's POSIX login shell.
import { randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'ssh2';
import { OutboundRefusedError, type OutboundPolicy } from '../outbound/policy.ts';
import {
  HostAuthError,
  HostChecksumMismatchError,
  HostFileNotFoundError,
  HostFileOperationError,
  HostFileTooLargeError,
  HostKeyMismatchError,
  HostRequestError,
  HostUnreachableError,
} from './errors.ts';
import {
  LineSplitter,
  assertValidMode,
  assertValidPath,
  assertValidRun,
  normalizedSha256,
  quoteForPosixShell,
  type HostExecutor,
  type PresentsHostKey,
  type PutFileOptions,
  type PutFileResult,
  type ReadFileOptions,
  type RunOptions,
  type RunResult,
} from './executor.ts';
import { hostKeyFingerprint, parsePinnedHostKey, type PinnedHostKey } from './host-key.ts';

export interface SshHostConfig {
  /** Host name or IP address. */
  address: string;
  port?: number;
  username: string;
  /** The host's public key as an OpenSSH line (`ssh-ed25519 AAAA...`): the only key accepted from it. */
  hostKey: string;
  /** The client's private key (OpenSSH or PEM format). Never logged, never in an error. */
  privateKey: string | Buffer;
  passphrase?: string;
  /** TCP connect plus SSH handshake; default 10 s. */
  connectTimeoutMs?: number;
}

export interface SshFileOptions {
  /** Bound on the whole transfer; default 5 minutes. A transfer that runs out fails with HostUnreachableError. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const defaultConnectTimeoutMs = 10_000;
const defaultFileTimeoutMs = 5 * 60_000;
/** After the kill, how long the host may take to report the command's end before the connection is given up. */
const killGraceMs = 5_000;
/** The upload script's exit code for "written, but the sha256 differs". */
const checksumMismatchExit = 65;
const notFoundExit = 66;

/** Exit 0 when the file is already there with the expected sha256 (its mode is brought in line). */
const unchangedScript = `[ -f "$1" ] || exit 1
[ "$(sha256sum < "$1" | cut -d ' ' -f 1)" = "$2" ] || exit 1
[ -z "$3" ] || chmod "$3" "$1"`;

/**
 * stdin to a temporary name in the target's folder, hashed there, then renamed over the final name (atomic on one
 * filesystem). Whatever happens, the temporary file is removed; the final name only ever holds verified content. A
 * file with an explicit mode may be a secret: nobody else can read it until it has that mode.
 */
const uploadScript = `set -e
trap 'rm -f -- "$2"' EXIT
mkdir -p -- "$(dirname -- "$1")"
[ -z "$4" ] || umask 077
cat > "$2"
actual=$(sha256sum < "$2" | cut -d ' ' -f 1)
[ -n "$actual" ] || { echo "sha256sum gave no hash" >&2; exit 1; }
[ "$actual" = "$3" ] || { echo "$actual"; exit ${checksumMismatchExit}; }
[ -z "$4" ] || chmod "$4" "$2"
mv -f -- "$2" "$1"`;

const readScript = `[ -e "$1" ] || exit ${notFoundExit}
exec head -c "$2" -- "$1"`;

/** A relative path starting with "-" would read as an option to chmod or head. */
function remotePath(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

/**
 * The command line for the remote login shell: enter cwd, print the shell's pid (sshd makes each session's shell a
 * process-group leader, so this is the group to kill on timeout), export env, then exec argv, every word quoted.
 */
function commandLine(argv: readonly string[], options: Pick<RunOptions, 'cwd' | 'env'>): string {
  const lines: string[] = [];
  if (options.cwd !== undefined) lines.push(`cd -- ${quoteForPosixShell(options.cwd)} 2>/dev/null || exit 1`);
  lines.push(`printf '%s\\n' "$$"`);
  for (const [name, value] of Object.entries(options.env ?? {})) lines.push(`export ${name}=${quoteForPosixShell(value)}`);
  lines.push(`exec ${argv.map(quoteForPosixShell).join(' ')}`);
  return lines.join('\n');
}

interface ExecuteOptions extends Pick<RunOptions, 'cwd' | 'env' | 'timeoutMs' | 'signal'> {
  stdin?: Readable;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

interface ScriptResult extends RunResult {
  stdout: Buffer;
  stderr: string;
}

export class SshExecutor implements HostExecutor, PresentsHostKey {
  readonly target: string;
  readonly #config: SshHostConfig;
  readonly #pinned: PinnedHostKey;
  readonly #policy: OutboundPolicy;
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #presented: string | undefined;

  constructor(config: SshHostConfig, deps: { policy: OutboundPolicy }) {
    const host = config.address.includes(':') ? `[${config.address}]` : config.address;
    this.target = `ssh://${config.username}@${host}:${config.port ?? 22}`;
    const pinned = parsePinnedHostKey(config.hostKey);
    if ('invalid' in pinned) {
      throw new HostRequestError(this.target, `the pinned host key is not an OpenSSH public key line ("ssh-ed25519 AAAA..."): ${pinned.invalid}`);
    }
    this.#config = config;
    this.#pinned = pinned;
    this.#policy = deps.policy;
  }

  get presentedHostKeyFingerprint(): string | undefined {
    return this.#presented;
  }

  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    assertValidRun(this.target, argv, options);
    const stdout = new LineSplitter((line) => options.onLine?.('stdout', line));
    const stderr = new LineSplitter((line) => options.onLine?.('stderr', line));
    const result = await this.#execute(argv, { ...options, onStdout: (chunk) => stdout.push(chunk), onStderr: (chunk) => stderr.push(chunk) });
    stdout.end();
    stderr.end();
    return result;
  }

  async putFile(path: string, content: Buffer | Readable, options: PutFileOptions & SshFileOptions): Promise<PutFileResult> {
    assertValidPath(this.target, path);
    assertValidMode(this.target, options.mode);
    const expected = normalizedSha256(this.target, options.sha256);
    const mode = options.mode === undefined ? '' : options.mode.toString(8);
    const target = remotePath(path);
    const unchanged = await this.#script(`checking ${path}`, unchangedScript, [target, expected, mode], options);
    if (unchanged.exitCode === 0) {
      if (content instanceof Readable) content.destroy();
      return { written: false };
    }
    const temporary = posix.join(posix.dirname(target), `.${posix.basename(target)}.opsflow-${randomBytes(6).toString('hex')}.tmp`);
    const stdin = content instanceof Readable ? content : Readable.from([content]);
    const upload = await this.#script(`writing ${path}`, uploadScript, [target, temporary, expected, mode], { ...options, stdin }).catch(async (error: unknown) => {
      // A killed upload (timeout, abort, a failing source) never reaches the script's own clean-up.
      await this.#execute(['rm', '-f', '--', temporary], { timeoutMs: 10_000, onStdout: () => undefined, onStderr: () => undefined }).catch(() => undefined);
      throw error;
    });
    if (upload.exitCode === 0) return { written: true };
    if (upload.exitCode === checksumMismatchExit) throw new HostChecksumMismatchError(this.target, path, expected, upload.stdout.toString().trim());
    throw new HostFileOperationError(this.target, `writing ${path} failed (exit ${upload.exitCode}): ${upload.stderr.trim()}`);
  }

  async readFile(path: string, options: ReadFileOptions & SshFileOptions): Promise<Buffer> {
    assertValidPath(this.target, path);
    // One byte more than allowed tells "exactly maxBytes" from "larger" without reading the rest.
    const result = await this.#script(`reading ${path}`, readScript, [remotePath(path), String(options.maxBytes + 1)], options);
    if (result.exitCode === notFoundExit) throw new HostFileNotFoundError(this.target, path);
    if (result.exitCode !== 0) throw new HostFileOperationError(this.target, `reading ${path} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
    if (result.stdout.length > options.maxBytes) throw new HostFileTooLargeError(this.target, path, options.maxBytes);
    return result.stdout;
  }

  async close(): Promise<void> {
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    if (!client || this.#client !== client) return;
    await new Promise<void>((done) => {
      client.once('close', () => done());
      client.end();
    });
  }

  /** A file operation as a `sh -c` script with positional arguments, collecting its output; a timeout is an error. */
  async #script(what: string, script: string, args: string[], options: SshFileOptions & { stdin?: Readable }): Promise<ScriptResult> {
    const stdout: Buffer[] = [];
    let stderr = '';
    const timeoutMs = options.timeoutMs ?? defaultFileTimeoutMs;
    const result = await this.#execute(['sh', '-c', script, 'sh', ...args], {
      timeoutMs,
      signal: options.signal,
      stdin: options.stdin,
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => (stderr = (stderr + chunk.toString()).slice(-2000)),
    });
    if (result.cancelled) throw options.signal!.reason;
    if (result.timedOut) throw new HostUnreachableError(this.target, `${what} did not finish within ${timeoutMs} ms`);
    return { ...result, stdout: Buffer.concat(stdout), stderr };
  }

  /** Runs argv through the login shell, streaming its output; kills its process group on timeout or abort. */
  async #execute(argv: readonly string[], options: ExecuteOptions): Promise<RunResult> {
    if (options.signal?.aborted) {
      options.stdin?.destroy();
      return { exitCode: null, timedOut: true, cancelled: true };
    }
    const client = await this.#connect();
    return new Promise<RunResult>((resolve, reject) => {
      // Listeners go on inside the callback: a quick command's exit status can arrive in the same burst of packets as
      // the channel's confirmation, before any later tick would see it.
      client.exec(commandLine(argv, options), (error, channel) => {
        if (error) return reject(new HostUnreachableError(this.target, `could not open a session: ${error.message}`, { cause: error }));
        let pid: number | undefined;
        let beforePid = Buffer.alloc(0);
        let stderrTail = '';
        let exit: { code: number | null; signal?: string } | undefined;
        let stopping: 'timeout' | 'abort' | undefined;
        let failure: Error | undefined;
        let grace: NodeJS.Timeout | undefined;

        const killGroup = (group: number) => {
          client.exec(`kill -s KILL -- -${group}`, (killError, killer) => {
            if (killError) return;
            killer.resume();
            killer.stderr.resume();
            killer.end();
          });
        };
        // Also after the command's own exit: something it left running in its group may hold the output open.
        const stop = (why: 'timeout' | 'abort') => {
          if (stopping) return;
          stopping = why;
          options.stdin?.unpipe(channel);
          if (pid !== undefined) killGroup(pid);
          if (exit) channel.close();
          grace = setTimeout(() => {
            failure = new HostUnreachableError(this.target, `${argv[0]} was killed after ${why === 'timeout' ? `${options.timeoutMs} ms` : 'an abort'}, but the host did not confirm its end within ${killGraceMs} ms; the connection was dropped`);
            client.destroy();
          }, killGraceMs);
        };
        const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
        const onAbort = () => stop('abort');
        options.signal?.addEventListener('abort', onAbort, { once: true });

        channel.on('data', (chunk: Buffer) => {
          if (pid !== undefined) return options.onStdout(chunk);
          beforePid = Buffer.concat([beforePid, chunk]);
          const newline = beforePid.indexOf(0x0a);
          if (newline < 0) return;
          pid = Number(beforePid.subarray(0, newline).toString());
          if (stopping) killGroup(pid);
          if (newline + 1 < beforePid.length) options.onStdout(beforePid.subarray(newline + 1));
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          stderrTail = (stderrTail + chunk.toString()).slice(-2000);
          options.onStderr(chunk);
        });
        channel.on('exit', (code: number | null, signal?: string) => {
          exit = { code, signal };
          // A process that left the group may still hold the output open; the killed command itself is gone.
          if (stopping) channel.close();
        });
        channel.on('close', () => {
          clearTimeout(timer);
          clearTimeout(grace);
          options.signal?.removeEventListener('abort', onAbort);
          if (failure) return reject(failure);
          if (!stopping && exit === undefined) {
            return reject(new HostUnreachableError(this.target, `the connection was lost while ${argv[0]} ran; whether it finished is unknown`));
          }
          if (!stopping && pid === undefined) {
            return reject(options.cwd !== undefined
              ? new HostRequestError(this.target, `cannot enter ${options.cwd} on the host: it is not a directory the user can enter`)
              : new HostRequestError(this.target, `the login shell of ${this.#config.username} did not run the command (is it a POSIX shell?): ${stderrTail.trim()}`));
          }
          resolve({ exitCode: exit?.code ?? null, ...(exit?.signal ? { signal: exit.signal } : {}), timedOut: stopping !== undefined, cancelled: stopping === 'abort' });
        });

        if (options.stdin) {
          options.stdin.once('error', (error) => {
            failure = error;
            stop('abort');
          });
          options.stdin.pipe(channel);
        } else {
          channel.end();
        }
      });
    });
  }

  async #connect(): Promise<Client> {
    if (this.#client) return this.#client;
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<Client> {
    const { address, port = 22, username } = this.#config;
    const timeoutMs = this.#config.connectTimeoutMs ?? defaultConnectTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    // An address literal is checked here; a name is resolved by the policy's own lookup when the socket connects, so
    // a second DNS answer cannot swap in a refused address.
    await this.#policy.assertAllowed(address, this.target).catch((error: unknown) => {
      if (error instanceof OutboundRefusedError) throw error;
      throw new HostUnreachableError(this.target, `cannot resolve ${address}: ${(error as Error).message}`, { cause: error });
    });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const socket = connectTcp({ host: address, port, lookup: this.#policy.lookup });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HostUnreachableError(this.target, `no TCP connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error instanceof OutboundRefusedError ? error : new HostUnreachableError(this.target, `cannot connect: ${error.message}`, { cause: error }));
      });
    });

    const client = new Client();
    let presented: string | undefined;
    let onError: (error: Error & { level?: string }) => void = () => undefined;
    let onClose: () => void = () => undefined;
    await new Promise<void>((resolve, reject) => {
      onError = (error) => {
        socket.destroy();
        reject(this.#handshakeError(error, presented, timeoutMs));
      };
      onClose = () => reject(new HostUnreachableError(this.target, 'the connection closed during the SSH handshake'));
      client.once('ready', () => resolve());
      client.on('error', onError);
      client.once('close', onClose);
      try {
        client.connect({
          sock: socket,
          username,
          privateKey: this.#config.privateKey,
          passphrase: this.#config.passphrase,
          readyTimeout: Math.max(1, deadline - Date.now()),
          algorithms: { serverHostKey: this.#pinned.algorithms },
          hostVerifier: (key: Buffer) => {
            presented = this.#presented = hostKeyFingerprint(key);
            return key.equals(this.#pinned.blob);
          },
          // A host that vanishes without closing the TCP connection is noticed, and its connection replaced.
          keepaliveInterval: 15_000,
          keepaliveCountMax: 3,
        });
      } catch (error) {
        socket.destroy();
        // ssh2 throws while parsing the key; its message names the problem, never the key.
        reject(new HostAuthError(this.target, `the client private key cannot be used: ${(error as Error).message}`));
      }
    });
    client.removeListener('error', onError);
    client.removeListener('close', onClose);
    // Errors after the handshake end the connection; each open channel then reports its own loss.
    client.on('error', () => undefined);
    client.once('close', () => {
      if (this.#client === client) this.#client = undefined;
    });
    this.#client = client;
    return client;
  }

  #handshakeError(error: Error & { level?: string }, presented: string | undefined, timeoutMs: number): Error {
    if (presented !== undefined && presented !== this.#pinned.fingerprint) {
      return new HostKeyMismatchError(this.target, presented, this.#pinned.fingerprint);
    }
    if (error.level === 'client-authentication') return new HostAuthError(this.target, `the host refused the client key for user ${this.#config.username}`);
    if (error.level === 'client-timeout') return new HostUnreachableError(this.target, `no SSH handshake within ${timeoutMs} ms`);
    return new HostUnreachableError(this.target, `SSH handshake failed: ${error.message}`, { cause: error });
  }
}
