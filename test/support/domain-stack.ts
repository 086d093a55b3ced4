// The harness of a domain test on the run's shared stack: its own database, task-queue prefix and keys, a Temporal
// client, the HTTP API as deployed (with its log kept for secret checks) and in-process workers for the domain's
// queues, started and stopped on demand. One per test file (or per test that needs a pristine deployment).
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createTokenIssuer, type Role, type TokenIssuer } from '../../security/tokens.ts';
import { createLogger } from '../../security/logging.ts';
import { buildApiServer, type ApiServerDeps } from '../../api/server.ts';
import type { TaskQueueName } from '../../contracts/task-queues.ts';
import type { Orm } from '../../db/orm.ts';
import type { Keyring } from '../../security/keyring.ts';
import { createSecretBox } from '../../security/secrets.ts';
import { EncryptionCodec } from '../../temporal/codec.ts';
import { createWorkers, runWorkersUntil } from '../../workers/worker.ts';
import { loadConfig, type Config } from '../../config/env.ts';
import { createTestDatabase, testClient, testEnvironment, testKeyring, testWorkerConnection } from './stack.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
// Route answers are whatever JSON the route returns; tests read the fields they assert on.
type Answer = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
type Call = (method: Method, url: string, payload?: unknown, role?: Role) => Promise<Answer>;

export interface DomainStack {
  /** The deployment's environment (with DATABASE_URL), for an `opsflow worker` subprocess (worker-process.ts). */
  env: Record<string, string>;
  config: Config;
  orm: Orm;
  /** The file's own database. */
  databaseUrl: string;
  keyring: Keyring;
  client: Client;
  tokens: TokenIssuer;
  app: FastifyInstance;
  /** Everything the API logged, at trace level, to assert that no secret is in it. */
  log(): string;
  /** An authenticated request to the API (as an admin unless `role` says otherwise). */
  call: Call;
  bearer(role: Role, subject?: string): Promise<{ authorization: string }>;
  /** A second API with the same tokens, keys and log, whose database, Temporal or worker metrics are others. */
  apiWith(deps: Partial<Pick<ApiServerDeps, 'orm' | 'temporal' | 'workerMetricsUrl'>>): Promise<{ app: FastifyInstance; call: Call; close(): Promise<void> }>;
  /** In-process workers for the queues given to startDomainStack; a no-op while they run. */
  startWorkers(): Promise<void>;
  /** Graceful shutdown of the in-process workers: in-flight activities finish. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface DomainStackOptions {
  /** Task queues the in-process workers serve. */
  queues: readonly TaskQueueName[];
  /** Start the workers at once (default), or leave it to the test (startWorkers()). */
  workers?: boolean;
  /** Environment variables on top of the test stack's (testEnvironment()). */
  env?: Record<string, string>;
}

export async function startDomainStack(options: DomainStackOptions): Promise<DomainStack> {
  const db = await createTestDatabase();
  const env = { ...testEnvironment(options.env), DATABASE_URL: db.url };
  const config = loadConfig(env);
  const keyring = testKeyring(config);
  const client = await testClient(config, keyring);
  const tokens = createTokenIssuer(new TextEncoder().encode(config.security.jwtSecret!));
  let logged = '';
  const logger = createLogger('trace', {}, new Writable({ write(chunk, _encoding, done) { logged += String(chunk); done(); } }));
  const buildApi = (deps: Partial<ApiServerDeps> = {}) =>
    buildApiServer({ config, orm: db.orm, temporal: client, tokens, secrets: createSecretBox(keyring), codec: new EncryptionCodec(keyring), logger, ...deps });
  const app = await buildApi();
  const bearer = async (role: Role, subject = `${role}-user`) => ({ authorization: `Bearer ${await tokens.issue({ subject, role })}` });
  const caller = (api: FastifyInstance): Call => async (method, url, payload, role = 'admin') => {
    const response = await api.inject({ method, url, headers: await bearer(role), ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.body ? response.json() : undefined };
  };
  let connection: NativeConnection | undefined;
  let workers: Worker[] = [];
  let running: Promise<void> | undefined;
  let stop = new AbortController();

  const stack: DomainStack = {
    env,
    config,
    orm: db.orm,
    databaseUrl: db.url,
    keyring,
    client,
    tokens,
    app,
    log: () => logged,
    call: caller(app),
    bearer,
    async apiWith(deps) {
      const other = await buildApi(deps);
      return { app: other, call: caller(other), close: () => other.close() };
    },
    async startWorkers() {
      if (running) return;
      connection ??= await testWorkerConnection();
      stop = new AbortController();
      workers = await createWorkers({ config, connection, keyring, orm: db.orm }, options.queues);
      running = runWorkersUntil(workers, stop.signal);
    },
    async stopWorkers() {
      stop.abort();
      await running;
      running = undefined;
    },
    async close() {
      await stack.stopWorkers();
      await app.close();
      await connection?.close();
      await client.connection.close();
      await db.close();
    },
  };
  if (options.workers ?? true) await stack.startWorkers();
  return stack;
}
