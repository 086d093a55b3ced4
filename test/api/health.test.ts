// Liveness and readiness as a load balancer sees them: /readyz against the real PostgreSQL and Temporal, and
// against a dedicated PostgreSQL or Temporal dev server that is then stopped (the run's shared stack stays up).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createOrm, migrateToLatest } from '../../db/orm.ts';
import { freePort } from '../../scripts/free-port.ts';
import { startEmbeddedPostgres } from '../../scripts/stack/postgres.ts';
import { startTemporalDevServer } from '../../scripts/stack/temporal-dev.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

describe('health endpoints', () => {
  let stack: DomainStack;

  before(async () => {
    stack = await startDomainStack({ queues: [], workers: false });
  });

  after(async () => {
    await stack?.close();
  });

  it('/healthz answers 200 without a token', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('/readyz answers 200 when the real PostgreSQL and Temporal answer', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { status: 'ready', checks: { database: 'ok', temporal: 'ok' }, failed: [] });
  });

  /** /readyz of `api` is 200 while the dependency runs; after `stop()` a 503 names it, without its error text. */
  async function readyUntilStopped(api: { app: DomainStack['app'] }, stop: () => Promise<void>, dependency: 'database' | 'temporal', port: number) {
    assert.equal((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready while it runs');
    await stop();
    const res = await api.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    const checks = { database: 'ok', temporal: 'ok', [dependency]: 'failed' };
    assert.deepEqual(res.json(), { status: 'not_ready', checks, failed: [dependency] });
    assert.doesNotMatch(res.body, new RegExp(`ECONNREFUSED|${port}`));
  }

  it('/readyz answers 503 naming PostgreSQL once it is stopped, without its error text', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'opsflow-readyz-'));
    const port = await freePort();
    const postgres = await startEmbeddedPostgres({ dataDir, port, database: 'readyz', ephemeral: true });
    const orm = await createOrm(postgres.url);
    // As `opsflow api` starts: migrations first, which also opens the pool the readiness check uses.
    await migrateToLatest(orm);
    const api = await stack.apiWith({ orm });
    try {
      await readyUntilStopped(api, () => postgres.stop(), 'database', port);
    } finally {
      await api.close();
      await orm.close();
      await postgres.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('/readyz answers 503 naming Temporal once it is stopped, without its error text', async () => {
    const port = await freePort();
    const temporal = await startTemporalDevServer({ executable: process.env.OPSFLOW_TEMPORAL_BIN ?? 'temporal', port, namespace: 'default' });
    const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
    const api = await stack.apiWith({ temporal: client });
    try {
      await readyUntilStopped(api, () => temporal.stop(), 'temporal', port);
    } finally {
      await api.close();
      await client.connection.close();
      await temporal.stop();
    }
  });
});
