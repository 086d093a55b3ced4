// The one interface every host executor (local, ssh; later salt) implements, and what they share: request
// validation, the line splitting of command output, and the quoting of argv for a remote POSIX shell.
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { HostRequestError } from './errors.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface RunOptions {
  /** Working directory; relative to the executor's base (remote home for ssh, root for local). Default: the base. */
  cwd?: string;
  /** Added to the environment the command would get anyway (names: letters, digits, underscore). */
  env?: Record<string, string>;
  /** The command and everything it started are killed after this long, and the result says `timedOut`. */
  timeoutMs: number;
  /** Aborting kills the command and everything it started, like a timeout. */
  signal?: AbortSignal;
  /** Each line of output as it arrives, without its newline; a last line without a newline is passed at the end. */
  onLine?(stream: OutputStream, line: string): void;
}

export interface RunResult {
  /** null when the command was killed by a signal. */
  exitCode: number | null;
  /** e.g. SIGKILL, when the command was killed by a signal. */
  signal?: string;
  /** The command was killed because it ran past `timeoutMs` or `signal` was aborted. */
  timedOut: boolean;
  /** It was `signal` that was aborted, not the timeout. */
  cancelled: boolean;
}

export interface PutFileOptions {
  /** Permission bits of the file, e.g. 0o755; default: 0o666 less the host's umask. */
  mode?: number;
  /** The sha256 (hex) the file must have on the host; checked there, after writing, before the file takes its name. */
  sha256: string;
}

export interface PutFileResult {
  /** false when a file with that sha256 was already there: nothing was sent (a Readable is destroyed unread). */
  written: boolean;
}

export interface ReadFileOptions {
  /** A larger file fails with HostFileTooLargeError rather than being read. */
  maxBytes: number;
}

/**
 * Runs commands and moves files on one host. Paths may be absolute or relative to the executor's base: the remote
 * user's home for ssh, the configured root for local (which refuses paths outside it).
 */
export interface HostExecutor {
  /** How errors and logs name the host: `ssh://user@address:port` or `local:<root>`. */
  readonly target: string;
  /** Runs argv without any shell interpreting it; a non-zero exit, a timeout and an abort are results, not errors. */
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>;
  /** Writes to a temporary name, verifies the sha256 on the host, then renames; a file already there unchanged is kept. */
  putFile(path: string, content: Buffer | Readable, options: PutFileOptions): Promise<PutFileResult>;
  readFile(path: string, options: ReadFileOptions): Promise<Buffer>;
  /** Releases the connection, if any; the executor reconnects if used again. */
  close(): Promise<void>;
}

/** An executor that talks to a host that proves itself with a key (ssh). */
export interface PresentsHostKey {
  /** SHA256:... of the key the host presented at the last connection, or undefined before any. */
  readonly presentedHostKeyFingerprint: string | undefined;
}

export function presentsHostKey(executor: HostExecutor): executor is HostExecutor & PresentsHostKey {
  return 'presentedHostKeyFingerprint' in executor;
}

/** Throws HostRequestError for what no executor can carry out: an empty argv, NUL bytes, bad env names, bad options. */
export function assertValidRun(target: string, argv: readonly string[], options: RunOptions): void {
  if (argv.length === 0 || argv[0] === '') throw new HostRequestError(target, 'argv is empty: name the command to run');
  if (argv.some((arg) => arg.includes('\0'))) throw new HostRequestError(target, 'an argument contains a NUL byte, which no command line can carry');
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new HostRequestError(target, `environment variable name "${name}" is not letters, digits and underscores`);
    if (value.includes('\0')) throw new HostRequestError(target, `environment variable ${name} contains a NUL byte`);
  }
  if (!(options.timeoutMs > 0)) throw new HostRequestError(target, `timeoutMs must be positive, not ${options.timeoutMs}`);
}

/** The expected sha256 in lower-case hex, or HostRequestError. */
export function normalizedSha256(target: string, sha256: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(sha256)) throw new HostRequestError(target, `"${sha256}" is not a sha256 in hex (64 characters)`);
  return sha256.toLowerCase();
}

export function assertValidMode(target: string, mode: number | undefined): void {
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o7777)) {
    throw new HostRequestError(target, `mode ${mode} is not a permission mode (0 to 0o7777)`);
  }
}

export function assertValidPath(target: string, path: string): void {
  if (path === '' || path.includes('\0')) throw new HostRequestError(target, 'a path must be non-empty and contain no NUL byte');
}

/** One word for a POSIX shell, whatever it contains: inside single quotes nothing is special but the quote itself. */
export function quoteForPosixShell(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Splits a byte stream into lines (UTF-8, never splitting a character across chunks), flushing a last partial line. */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #emit: (line: string) => void;
  #pending = '';

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  push(chunk: Buffer): void {
    const lines = (this.#pending + this.#decoder.write(chunk)).split('\n');
    this.#pending = lines.pop()!;
    for (const line of lines) this.#emit(line);
  }

  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#emit(rest);
  }
}
