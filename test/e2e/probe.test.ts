// End to end on the real stack: HTTP API → Temporal → worker → activity → PostgreSQL → HTTP API, with auth,
// validation, and the workflow history checked for plaintext.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createProbeActivities } from '../../activities/probe.ts';
import { Probe } from '../../db/entities/probe/probe.ts';
import { ENCRYPTED_ENCODING } from '../../temporal/codec.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';

describe('probe: API → Temporal → worker → PostgreSQL → API', () => {
  let stack: DomainStack;
  const probes = () => stack.orm.em.fork().count(Probe, {});

  before(async () => {
    stack = await startDomainStack({ queues: ['cloud-sync', 'dr'] });
  });

  after(async () => {
    await stack?.close();
  });

  test('a request without a token gets 401, a viewer gets 403 on a write', async () => {
    const before = await probes();
    const anonymous = await stack.app.inject({ method: 'POST', url: '/v1/probes', payload: { queue: 'dr' } });
    assert.equal(anonymous.statusCode, 401);
    const viewer = await stack.call('POST', '/v1/probes', { queue: 'dr' }, 'viewer');
    assert.equal(viewer.status, 403);
    assert.match(viewer.body.message, /operator/);
    assert.equal(await probes(), before, 'a refused request writes nothing');
  });

  test('a malformed body gets 422 naming every bad field, and nothing is written', async () => {
    const before = await probes();
    const response = await stack.call('POST', '/v1/probes', { queue: 'mainframe', note: 42 }, 'operator');
    assert.equal(response.status, 422);
    const paths = response.body.issues.map((issue: { path: string }) => issue.path).sort();
    assert.deepEqual(paths, ['body.note', 'body.queue']);
    assert.equal(await probes(), before);
  });

  test('a probe started before any worker polls completes once a worker starts', async () => {
    const note = `marker-${randomUUID()}`;
    await stack.stopWorkers();
    let probe: { id: string; workflowId: string; state: string; requestedBy: string };
    try {
      const created = await stack.call('POST', '/v1/probes', { queue: 'cloud-sync', note }, 'operator');
      assert.equal(created.status, 202, JSON.stringify(created.body));
      probe = created.body;
      assert.equal(probe.state, 'pending');
      assert.equal(probe.requestedBy, 'operator-user');
    } finally {
      await stack.startWorkers();
    }
    await stack.client.workflow.getHandle(probe.workflowId).result();

    const read = await stack.call('GET', `/v1/probes/${probe.id}`, undefined, 'viewer');
    assert.equal(read.status, 200);
    const answered = read.body;
    assert.equal(answered.state, 'completed');
    assert.equal(answered.echo, note, 'the worker decoded the note with the API keys');
    assert.match(answered.workerIdentity, /opsflow-worker@/);
    assert.ok(answered.completedAt);
  });

  test('the workflow history holds only ciphertext payloads', async () => {
    const note = `plaintext-canary-${randomUUID()}`;
    const created = await stack.call('POST', '/v1/probes', { queue: 'dr', note }, 'operator');
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const handle = stack.client.workflow.getHandle(created.body.workflowId);
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
    const missing = await stack.call('GET', `/v1/probes/${randomUUID()}`, undefined, 'viewer');
    assert.equal(missing.status, 404);
    const ready = await stack.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.deepEqual(ready.json().failed, []);
  });

  test('recording an answer twice (a retried activity) changes nothing', async () => {
    const em = stack.orm.em.fork();
    const id = randomUUID();
    em.create(Probe, { id, taskQueue: 'dr', note: 'n', workflowId: `probe:${id}`, requestedBy: 't' });
    await em.flush();
    const first = createProbeActivities({ orm: stack.orm, workerIdentity: 'worker-a' });
    const retry = createProbeActivities({ orm: stack.orm, workerIdentity: 'worker-b' });
    const answer = await first.recordProbeAnswer({ probeId: id, note: 'n' });
    const completedAt = (await stack.orm.em.fork().findOneOrFail(Probe, { id })).completedAt;
    const again = await retry.recordProbeAnswer({ probeId: id, note: 'n' });
    assert.deepEqual(again, answer);
    const stored = await stack.orm.em.fork().findOneOrFail(Probe, { id });
    assert.equal(stored.workerIdentity, 'worker-a');
    assert.deepEqual(stored.completedAt, completedAt);
  });

  test('failure messages are encrypted too: a failing activity leaves no plaintext error in Temporal', async () => {
    const missingProbe = randomUUID();
    const handle = await stack.client.workflow.start('probeWorkflow', {
      workflowId: `probe:${missingProbe}`,
      taskQueue: `${stack.config.temporal.taskQueuePrefix}dr`,
      args: [{ probeId: missingProbe, note: 'never recorded' }],
    });
    try {
      const lastFailure = await waitFor('the activity to fail once', async () => (await handle.describe()).raw.pendingActivities?.[0]?.lastFailure ?? undefined);
      assert.equal(lastFailure.message, 'Encoded failure');
      assert.ok(lastFailure.encodedAttributes, 'the real message travels encrypted');
      assert.ok(!JSON.stringify(lastFailure).includes(missingProbe), 'the error text (which names the probe) is not readable');
    } finally {
      await handle.terminate('test done');
    }
  });
});
