// `opsflow worker` as deployed, in its own process: a worker SIGKILLed while it provably holds an activity loses
// nothing (the activity is retried and finished by the replacement), and work started while no worker runs waits in
// Temporal until the next worker process takes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Probe } from '../../db/entities/probe/probe.ts';
import { probeWorkflowId } from '../../contracts/probe.ts';
import { taskQueueName } from '../../contracts/task-queues.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { startWorkerProcess } from '../support/worker-process.ts';
import { waitFor } from '../support/wait.ts';

let stack: DomainStack;

before(async () => {
  stack = await startDomainStack({ queues: [], workers: false });
});

after(async () => {
  await stack?.close();
});

async function createProbe(queue: 'dr' | 'cmdb'): Promise<string> {
  const id = randomUUID();
  const em = stack.orm.em.fork();
  em.create(Probe, { id, taskQueue: queue, note: `note-${id}`, workflowId: probeWorkflowId(id), requestedBy: 'test' });
  await em.flush();
  return id;
}

function startProbeWorkflow(id: string, queue: 'dr' | 'cmdb') {
  return stack.client.workflow.start('probeWorkflow', {
    workflowId: probeWorkflowId(id),
    taskQueue: taskQueueName(stack.config.temporal.taskQueuePrefix, queue),
    args: [{ probeId: id, note: `note-${id}` }],
  });
}

test('a worker SIGKILLed while it holds an activity loses nothing: its replacement runs the activity to the end', { timeout: 180_000 }, async () => {
  // The test holds the probe's row lock, so the first worker's activity blocks on its write: in flight, not done.
  const heldId = await createProbe('dr');
  const lock = new pg.Client({ connectionString: stack.databaseUrl });
  await lock.connect();
  await lock.query('begin');
  await lock.query('select id from probe where id = $1 for update', [heldId]);
  const first = startWorkerProcess(stack.env, 'dr');
  const held = await startProbeWorkflow(heldId, 'dr');
  try {
    const holder = await waitFor(
      () => `the first worker (pid ${first.pid}) to hold the activity\n${first.output()}`,
      async () => {
        const pending = (await held.describe()).raw.pendingActivities?.[0];
        // Read on another connection: inside the lock's transaction pg_stat_activity stays a snapshot of its start.
        const blocked = await stack.orm.em.fork().execute("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
        return pending?.lastWorkerIdentity && blocked.length > 0 ? pending.lastWorkerIdentity : undefined;
      },
    );
    assert.match(holder, new RegExp(`:${first.pid}/`), 'the activity in flight is the first worker\'s');
  } finally {
    await first.kill();
    await lock.query('rollback').finally(() => lock.end());
  }
  const queuedId = await createProbe('cmdb');
  const queued = await startProbeWorkflow(queuedId, 'cmdb');

  const second = startWorkerProcess(stack.env, 'all');
  try {
    const [retried, waited] = await Promise.all([held.result(), queued.result()]);
    assert.match(retried.workerIdentity, new RegExp(`:${second.pid}$`), 'the replacement finished the activity the killed worker held');
    assert.match(waited.workerIdentity, new RegExp(`:${second.pid}$`), 'and answered the work queued while no worker ran');
    const started = (await held.fetchHistory()).events!.find((event) => event.activityTaskStartedEventAttributes)!;
    assert.equal(started.activityTaskStartedEventAttributes!.attempt, 2, 'the killed attempt was retried, not lost');
    const stored = await stack.orm.em.fork().find(Probe, { id: { $in: [heldId, queuedId] } });
    assert.equal(stored.length, 2);
    assert.ok(stored.every((probe) => probe.state === 'completed' && probe.echo === probe.note));
  } finally {
    assert.equal(await second.stop(), 0, `graceful SIGTERM exit\n${second.output()}`);
  }
});
