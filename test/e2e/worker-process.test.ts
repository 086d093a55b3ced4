// `opsflow worker` as deployed, in its own process: work started while no worker runs waits in Temporal, a worker
// killed outright loses nothing, and the next worker process finishes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Probe } from '../../db/entities/probe/probe.ts';
import { probeWorkflowId } from '../../contracts/probe.ts';
import { taskQueueName } from '../../contracts/task-queues.ts';
import { loadConfig } from '../../config/env.ts';
import { createTestDatabase, testClient, testEnvironment, testKeyring } from '../support/stack.ts';
import { startWorkerProcess } from '../support/worker-process.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: Client;
const env = testEnvironment();
const config = loadConfig(env);

before(async () => {
  db = await createTestDatabase();
  client = await testClient(config, testKeyring(config));
});

after(async () => {
  await client?.connection.close();
  await db?.close();
});

async function startProbe(queue: 'dr' | 'cmdb') {
  const id = randomUUID();
  const em = db.orm.em.fork();
  em.create(Probe, { id, taskQueue: queue, note: `note-${id}`, workflowId: probeWorkflowId(id), requestedBy: 'test' });
  await em.flush();
  return client.workflow.start('probeWorkflow', {
    workflowId: probeWorkflowId(id),
    taskQueue: taskQueueName(config.temporal.taskQueuePrefix, queue),
    args: [{ probeId: id, note: `note-${id}` }],
  });
}

test('a SIGKILLed worker process loses nothing; the next one completes the queued work', { timeout: 120_000 }, async () => {
  const first = startWorkerProcess({ ...env, DATABASE_URL: db.url }, 'dr,cmdb');
  const waiting = await startProbe('dr');
  await first.kill();
  const queued = await startProbe('cmdb');

  const second = startWorkerProcess({ ...env, DATABASE_URL: db.url }, 'all');
  try {
    const [a, b] = await Promise.all([waiting.result(), queued.result()]);
    assert.match(a.workerIdentity, /opsflow-worker@/);
    assert.match(b.workerIdentity, new RegExp(`:${second.pid}$`), 'the surviving process answered the work queued while none ran');
    const stored = await db.orm.em.fork().find(Probe, {});
    assert.equal(stored.length, 2);
    assert.ok(stored.every((probe) => probe.state === 'completed' && probe.echo === probe.note));
  } finally {
    assert.equal(await second.stop(), 0, `graceful SIGTERM exit\n${second.output()}`);
  }
});
