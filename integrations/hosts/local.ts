// The local executor: commands and files on this machine, confined to a root folder that stands in for a remote
// user's home (relative paths start there; no path, symlinks followed, may leave it). Commands are spawned without
// a shell, each in a process group of its own, so a timeout or an abort kills everything they started.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HostChecksumMismatchError, HostError, HostFileNotFoundError, HostFileOperationError, HostFileTooLargeError, HostRequestError } from './errors.ts';
import {
  LineSplitter,
  assertValidMode,
  assertValidPath,
  assertValidRun,
  normalizedSha256,
  type HostExecutor,
  type PutFileOptions,
  type PutFileResult,
  type ReadFileOptions,
  type RunOptions,
  type RunResult,
} from './executor.ts';

export interface LocalExecutorConfig {
  /** An absolute path to an existing folder: the base of relative paths, HOME of commands, and the fence. */
  root: string;
}

function isInside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** The sha256 of a regular file, or undefined when there is none at that path. */
async function sha256OfFile(file: string): Promise<string | undefined> {
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) return undefined;
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export class LocalExecutor implements HostExecutor {
  readonly target: string;
  readonly #root: string;

  constructor(config: LocalExecutorConfig) {
    if (!isAbsolute(config.root)) throw new HostRequestError(`local:${config.root}`, 'the root must be an absolute path');
    this.#root = resolve(config.root);
    this.target = `local:${this.#root}`;
  }

  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    assertValidRun(this.target, argv, options);
    const cwd = await this.#confined(options.cwd ?? '.');
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      throw new HostRequestError(this.target, `cannot enter ${options.cwd}: it is not a directory`);
    }
    if (options.signal?.aborted) return { exitCode: null, timedOut: true, cancelled: true };
    const stdout = new LineSplitter((line) => options.onLine?.('stdout', line));
    const stderr = new LineSplitter((line) => options.onLine?.('stderr', line));

    return new Promise<RunResult>((resolvePromise) => {
      // opsflow's own environment (database URL, keys) is not the command's business.
      const env = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', HOME: this.#root, ...options.env };
      const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let spawnError: NodeJS.ErrnoException | undefined;
      let stopping: 'timeout' | 'abort' | undefined;

      // A process that left the group may hold the output open after the kill: stop reading once the command is gone.
      const releaseOutput = () => {
        child.stdout.destroy();
        child.stderr.destroy();
      };
      const stop = (why: 'timeout' | 'abort') => {
        if (stopping || child.pid === undefined) return;
        stopping = why;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The whole group has exited already.
        }
        if (child.exitCode !== null || child.signalCode !== null) releaseOutput();
      };
      const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
      const onAbort = () => stop('abort');
      options.signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) spawnError = error;
      });
      child.on('exit', () => {
        if (stopping) releaseOutput();
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (spawnError) {
          // What a POSIX shell (and so the ssh executor) answers for a command it cannot find or execute.
          options.onLine?.('stderr', `${argv[0]}: ${spawnError.code === 'EACCES' ? 'permission denied' : 'command not found'}`);
          return resolvePromise({ exitCode: spawnError.code === 'EACCES' ? 126 : 127, timedOut: false, cancelled: false });
        }
        stdout.end();
        stderr.end();
        resolvePromise({ exitCode: code, ...(signal ? { signal } : {}), timedOut: stopping !== undefined, cancelled: stopping === 'abort' });
      });
    });
  }

  async putFile(path: string, content: Buffer | Readable, options: PutFileOptions & { signal?: AbortSignal }): Promise<PutFileResult> {
    assertValidMode(this.target, options.mode);
    const expected = normalizedSha256(this.target, options.sha256);
    const final = await this.#confined(path);
    try {
      if ((await sha256OfFile(final)) === expected) {
        if (content instanceof Readable) content.destroy();
        if (options.mode !== undefined) await chmod(final, options.mode);
        return { written: false };
      }
      await mkdir(dirname(final), { recursive: true });
    } catch (error) {
      throw new HostFileOperationError(this.target, `writing ${path} failed: ${(error as Error).message}`, { cause: error });
    }
    const temporary = join(dirname(final), `.${basename(final)}.opsflow-${randomBytes(6).toString('hex')}.tmp`);
    let sourceError: Error | undefined;
    try {
      // A file with an explicit mode may be a secret: nobody else can read it until it has its final mode.
      const source = content instanceof Readable ? content : Readable.from([content]);
      source.once('error', (error) => (sourceError = error));
      await pipeline(source, createWriteStream(temporary, { flags: 'wx', mode: options.mode === undefined ? 0o666 : 0o600 }), { signal: options.signal });
      // Hash what is on disk, not what was sent: that is what the final name will hold.
      const actual = (await sha256OfFile(temporary)) ?? '';
      if (actual !== expected) throw new HostChecksumMismatchError(this.target, path, expected, actual);
      if (options.mode !== undefined) await chmod(temporary, options.mode);
      await rename(temporary, final);
      return { written: true };
    } catch (error) {
      await rm(temporary, { force: true });
      // The caller's own failures (its content stream, its abort) come back as they are; the rest is the host's.
      if (error instanceof HostError || error === sourceError || options.signal?.aborted) throw error;
      throw new HostFileOperationError(this.target, `writing ${path} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async readFile(path: string, options: ReadFileOptions): Promise<Buffer> {
    const file = await this.#confined(path);
    const chunks: Buffer[] = [];
    try {
      // `end` is inclusive: one byte more than allowed tells "exactly maxBytes" from "larger" without reading the rest.
      for await (const chunk of createReadStream(file, { start: 0, end: options.maxBytes })) chunks.push(chunk as Buffer);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new HostFileNotFoundError(this.target, path);
      throw new HostFileOperationError(this.target, `reading ${path} failed: ${(error as Error).message}`, { cause: error });
    }
    const content = Buffer.concat(chunks);
    if (content.length > options.maxBytes) throw new HostFileTooLargeError(this.target, path, options.maxBytes);
    return content;
  }

  async close(): Promise<void> {}

  /** The absolute path for `path`, or HostRequestError when it, or what its existing part links to, is outside the root. */
  async #confined(path: string): Promise<string> {
    assertValidPath(this.target, path);
    const absolute = resolve(this.#root, path);
    if (!isInside(this.#root, absolute)) throw new HostRequestError(this.target, `${path} is outside the root`);
    const realRoot = await realpath(this.#root).catch(() => {
      throw new HostRequestError(this.target, 'the root folder does not exist');
    });
    // A symlink inside the root may lead out of it: judge the deepest existing part of the path by where it really is.
    for (let probe = absolute; ; probe = dirname(probe)) {
      const real = await realpath(probe).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw error;
      });
      if (real === undefined) continue;
      if (!isInside(realRoot, real)) throw new HostRequestError(this.target, `${path} leads outside the root (through a symbolic link)`);
      return absolute;
    }
  }
}
