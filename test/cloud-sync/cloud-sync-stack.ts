// What the cloud-sync tests share: an API and in-process cloud-sync workers on the test stack, with a token,
// an in-memory log to search for secrets, and shortcuts for the account and inventory routes.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createTokenIssuer } from '../../api/auth.ts';
import { createLogger } from '../../api/logging.ts';
import { buildApiServer } from '../../api/server.ts';
import type { Config } from '../../config/env.ts';
import { createSecretBox } from '../../security/secrets.ts';
import { EncryptionCodec } from '../../temporal/codec.ts';
import { createWorkers, runWorkersUntil } from '../../workers/worker.ts';
import { createTestDatabase, testClient, testConfig, testEnvironment, testKeyring, testWorkerConnection } from '../support/stack.ts';

export interface CloudSyncStack {
  env: Record<string, string>;
  config: Config;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  client: Client;
  app: FastifyInstance;
  /** Everything the API logged (at debug level), to assert no secret is in it. */
  log(): string;
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A second API on the same database, token and log whose Temporal calls go through `temporal` (e.g. one that refuses). */
  apiWith(temporal: Client): Promise<{ call: CloudSyncStack['call']; close(): Promise<void> }>;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export async function startCloudSyncStack(overrides: Record<string, string> = {}): Promise<CloudSyncStack> {
  const env = testEnvironment({ OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50', ...overrides });
  const config = testConfig(env);
  const db = await createTestDatabase();
  const keyring = testKeyring(config);
  const client = await testClient(config, keyring);
  const tokens = createTokenIssuer(new TextEncoder().encode(config.security.jwtSecret!));
  let logged = '';
  const logger = createLogger('debug', {}, new Writable({ write(chunk, _encoding, done) { logged += String(chunk); done(); } }));
  const buildApi = (temporal: Client) =>
    buildApiServer({ config, orm: db.orm, temporal, tokens, secrets: createSecretBox(keyring), codec: new EncryptionCodec(keyring), logger });
  const app = await buildApi(client);
  const token = await tokens.issue({ subject: 'cloud-admin', role: 'admin' });
  const caller = (api: FastifyInstance): CloudSyncStack['call'] => async (method, url, payload) => {
    const response = await api.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.body ? response.json() : undefined };
  };
  let connection: NativeConnection | undefined;
  let workers: Worker[] = [];
  let running: Promise<void> | undefined;
  let stop = new AbortController();

  const stack: CloudSyncStack = {
    env: { ...env, DATABASE_URL: db.url },
    config,
    db,
    client,
    app,
    log: () => logged,
    call: caller(app),
    async apiWith(temporal) {
      const other = await buildApi(temporal);
      return { call: caller(other), close: () => other.close() };
    },
    async startWorkers() {
      connection ??= await testWorkerConnection();
      stop = new AbortController();
      workers = await createWorkers({ config, connection, keyring, orm: db.orm }, ['cloud-sync']);
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
  return stack;
}
