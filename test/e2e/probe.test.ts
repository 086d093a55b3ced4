// End to end on the real stack: HTTP API → Temporal → worker → activity → PostgreSQL → HTTP API, with auth,
// validation, and the workflow history checked for plaintext.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createTokenIssuer, type Role, type TokenIssuer } from '../../api/auth.ts';
import { buildApiServer } from '../../api/server.ts';
import { createProbeActivities } from '../../activities/probe.ts';
import { Probe } from '../../db/entities/probe/probe.ts';
import { EncryptionCodec, ENCRYPTED_ENCODING } from '../../temporal/codec.ts';
import { createSecretBox } from '../../security/secrets.ts';
import { createWorkers, runWorkersUntil } from '../../workers/worker.ts';
import type { Config } from '../../config/env.ts';
import type { Orm } from '../../db/orm.ts';
import { createTestDatabase, testClient, testConfig, testKeyring, testWorkerConnection } from '../support/stack.ts';

describe('probe: API → Temporal → worker → PostgreSQL → API', () => {
  let config: Config;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: Orm;
  let client: Client;
  let tokens: TokenIssuer;
  let app: FastifyInstance;
  let connection: NativeConnection;
  let workers: Worker[] = [];
  let running: Promise<void> | undefined;
  const stopWorkers = new AbortController();

  const bearer = async (role: Role) => ({ authorization: `Bearer ${await tokens.issue({ subject: `${role}-user`, role })}` });

  async function startWorkers() {
    workers = await createWorkers(
      { config, connection, keyring: testKeyring(config), orm },
      ['cloud-sync', 'dr'],
    );
    running = runWorkersUntil(workers, stopWorkers.signal);
  }

  before(async () => {
    config = testConfig();
    db = await createTestDatabase();
    orm = db.orm;
    const keyring = testKeyring(config);
    client = await testClient(config, keyring);
    tokens = createTokenIssuer(new TextEncoder().encode(config.security.jwtSecret!));
    app = await buildApiServer({ config, orm, temporal: client, tokens, secrets: createSecretBox(keyring), codec: new EncryptionCodec(keyring) });
    connection = await testWorkerConnection();
  });

  after(async () => {
    stopWorkers.abort();
    await running;
    await app?.close();
    await connection?.close();
    await client?.connection.close();
    await db?.close();
  });

  test('a request without a token gets 401, a viewer gets 403 on a write', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/v1/probes', payload: { queue: 'dr' } });
    assert.equal(anonymous.statusCode, 401);
    const viewer = await app.inject({ method: 'POST', url: '/v1/probes', headers: await bearer('viewer'), payload: { queue: 'dr' } });
    assert.equal(viewer.statusCode, 403);
    assert.match(viewer.json().message, /operator/);
    assert.equal(await orm.em.fork().count(Probe, {}), 0, 'a refused request writes nothing');
  });

  test('a malformed body gets 422 naming every bad field, and nothing is written', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/probes',
      headers: await bearer('operator'),
      payload: { queue: 'mainframe', note: 42 },
    });
    assert.equal(response.statusCode, 422);
    const paths = response.json().issues.map((issue: { path: string }) => issue.path).sort();
    assert.deepEqual(paths, ['body.note', 'body.queue']);
    assert.equal(await orm.em.fork().count(Probe, {}), 0);
  });

  test('a probe started before any worker polls completes once a worker starts', async () => {
    const note = `marker-${randomUUID()}`;
    const created = await app.inject({ method: 'POST', url: '/v1/probes', headers: await bearer('operator'), payload: { queue: 'cloud-sync', note } });
    assert.equal(created.statusCode, 202, created.body);
    const probe = created.json();
    assert.equal(probe.state, 'pending');
    assert.equal(probe.requestedBy, 'operator-user');

    await startWorkers();
    await client.workflow.getHandle(probe.workflowId).result();

    const read = await app.inject({ method: 'GET', url: `/v1/probes/${probe.id}`, headers: await bearer('viewer') });
    assert.equal(read.statusCode, 200);
    const answered = read.json();
    assert.equal(answered.state, 'completed');
    assert.equal(answered.echo, note, 'the worker decoded the note with the API keys');
    assert.match(answered.workerIdentity, /opsflow-worker@/);
    assert.ok(answered.completedAt);
  });

  test('the workflow history holds only ciphertext payloads', async () => {
    const note = `plaintext-canary-${randomUUID()}`;
    const created = await app.inject({ method: 'POST', url: '/v1/probes', headers: await bearer('operator'), payload: { queue: 'dr', note } });
    assert.equal(created.statusCode, 202, created.body);
    const handle = client.workflow.getHandle(created.json().workflowId);
    await handle.result();

    // Read the raw history with a client that has no codec: what the server (and anyone with access to it) stores.
    const history = await handle.fetchHistory();
    const raw = JSON.stringify(history);
    assert.ok(!raw.includes(note), 'the note must not appear in history');
    assert.ok(!raw.includes(Buffer.from(note).toString('base64').slice(0, 24)), 'nor base64-encoded');
    const started = history.events!.find((event) => event.workflowExecutionStartedEventAttributes)!;
    const payloads = started.workflowExecutionStartedEventAttributes!.input!.payloads!;
    assert.ok(payloads.length > 0);
    for (const payload of payloads) {
      assert.equal(new TextDecoder().decode(payload.metadata!.encoding!), ENCRYPTED_ENCODING);
    }
    const completed = history.events!.find((event) => event.activityTaskCompletedEventAttributes)!;
    for (const payload of completed.activityTaskCompletedEventAttributes!.result!.payloads!) {
      assert.equal(new TextDecoder().decode(payload.metadata!.encoding!), ENCRYPTED_ENCODING);
    }
  });

  test('an unknown probe is 404 and /readyz reports both dependencies up', async () => {
    const missing = await app.inject({ method: 'GET', url: `/v1/probes/${randomUUID()}`, headers: await bearer('viewer') });
    assert.equal(missing.statusCode, 404);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.deepEqual(ready.json().failed, []);
  });

  test('recording an answer twice (a retried activity) changes nothing', async () => {
    const em = orm.em.fork();
    const id = randomUUID();
    em.create(Probe, { id, taskQueue: 'dr', note: 'n', workflowId: `probe:${id}`, requestedBy: 't' });
    await em.flush();
    const first = createProbeActivities({ orm, workerIdentity: 'worker-a' });
    const retry = createProbeActivities({ orm, workerIdentity: 'worker-b' });
    const answer = await first.recordProbeAnswer({ probeId: id, note: 'n' });
    const completedAt = (await orm.em.fork().findOneOrFail(Probe, { id })).completedAt;
    const again = await retry.recordProbeAnswer({ probeId: id, note: 'n' });
    assert.deepEqual(again, answer);
    const stored = await orm.em.fork().findOneOrFail(Probe, { id });
    assert.equal(stored.workerIdentity, 'worker-a');
    assert.deepEqual(stored.completedAt, completedAt);
  });

  test('failure messages are encrypted too: a failing activity leaves no plaintext error in Temporal', async () => {
    if (!running) await startWorkers();
    const missingProbe = randomUUID();
    const handle = await client.workflow.start('probeWorkflow', {
      workflowId: `probe:${missingProbe}`,
      taskQueue: `${config.temporal.taskQueuePrefix}dr`,
      args: [{ probeId: missingProbe, note: 'never recorded' }],
    });
    try {
      let lastFailure: { message?: string | null; encodedAttributes?: unknown } | null | undefined;
      for (let attempt = 0; attempt < 100 && !lastFailure; attempt += 1) {
        const description = await client.workflowService.describeWorkflowExecution({
          namespace: config.temporal.namespace,
          execution: { workflowId: handle.workflowId },
        });
        lastFailure = description.pendingActivities?.[0]?.lastFailure;
        if (!lastFailure) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(lastFailure, 'the activity failed at least once');
      assert.equal(lastFailure.message, 'Encoded failure');
      assert.ok(lastFailure.encodedAttributes, 'the real message travels encrypted');
      assert.ok(!JSON.stringify(lastFailure).includes(missingProbe), 'the error text (which names the probe) is not readable');
    } finally {
      await handle.terminate('test done');
    }
  });
});
