// Test-side access to the run's shared stack (started by scripts/run-tests.ts): each test file gets its own
// database, its own task-queue prefix and its own keys, so files run in parallel without seeing each other.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Config } from '../../config/env.ts';
import { createOrm, migrateToLatest, type Orm } from '../../db/orm.ts';
import { createDataConverter } from '../../temporal/connection.ts';
import { formatKeyList, generateKey, Keyring, parseKeyList } from '../../security/keyring.ts';

export function stackEnv(): { postgresUrl: string; temporalAddress: string } {
  const postgresUrl = process.env.OPSFLOW_TEST_POSTGRES_URL;
  const temporalAddress = process.env.OPSFLOW_TEST_TEMPORAL_ADDRESS;
  if (!postgresUrl || !temporalAddress) {
    throw new Error('The test stack is not running: run tests through `npm test` (or `npm test -- <file>`).');
  }
  return { postgresUrl, temporalAddress };
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<{ url: string; orm: Orm; close(): Promise<void> }> {
  const { postgresUrl } = stackEnv();
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const orm = await createOrm(url.toString());
  await migrateToLatest(orm);
  return { url: url.toString(), orm, close: () => orm.close() };
}

/**
 * The environment of a deployment pointed at the test stack, with its own task-queue prefix and keys. Give the same
 * record to loadConfig() in-process and to a worker subprocess (test/support/worker-process.ts) so both agree.
 */
export function testEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  const { temporalAddress } = stackEnv();
  return {
    OPSFLOW_HOME: mkdtempSync(join(tmpdir(), 'opsflow-home-')),
    OPSFLOW_LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: temporalAddress,
    OPSFLOW_TASK_QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}-`,
    OPSFLOW_ENCRYPTION_KEYS: formatKeyList([generateKey('test1')]),
    OPSFLOW_JWT_SECRET: randomBytes(32).toString('base64url'),
    OPSFLOW_WORKER_METRICS_PORT: '0',
    ...overrides,
  };
}

export function testKeyring(config: Config): Keyring {
  return new Keyring(parseKeyList(config.security.encryptionKeys!));
}

export async function testClient(config: Config, keyring: Keyring): Promise<Client> {
  const connection = await Connection.connect({ address: stackEnv().temporalAddress });
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: createDataConverter(keyring) });
}

let runtimeInstalled = false;

export async function testWorkerConnection(): Promise<NativeConnection> {
  if (!runtimeInstalled) {
    // Worker state changes at INFO would drown the test report.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return NativeConnection.connect({ address: stackEnv().temporalAddress });
}
