// activities/heartbeat.ts in a real worker: a call that outlasts the heartbeat timeout completes because the timer
// heartbeats (with its details) while it is outstanding, and cancelling the activity aborts the call in progress.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CancelledFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { whileHeartbeating } from '../../activities/heartbeat.ts';
import { stackEnv, testWorkerConnection } from '../support/stack.ts';
import { waitFor } from '../support/wait.ts';

const taskQueue = `heartbeat-${randomUUID()}`;
/** Released by the test once the outstanding call has outlived the activity's heartbeat timeout (1 s) several times. */
let release: (value: number) => void = () => undefined;
let aborted: unknown;

const activities = {
  async outlastHeartbeatTimeout(): Promise<number> {
    let beats = 0;
    const held = new Promise<number>((resolve) => (release = resolve));
    await whileHeartbeating(() => held, { every: 200, details: () => ({ beats: ++beats }) });
    return Context.current().info.attempt;
  },
  async waitUntilCancelled(): Promise<number> {
    return whileHeartbeating(
      (signal) =>
        new Promise<number>((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(signal.reason);
          }),
        ),
      { every: 200 },
    );
  },
};
export type HeartbeatTestActivities = typeof activities;

let client: Client;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  client = new Client({ connection: await Connection.connect({ address: stackEnv().temporalAddress }) });
  worker = await Worker.create({
    connection: await testWorkerConnection(),
    taskQueue,
    workflowsPath: new URL('./heartbeat-workflow.ts', import.meta.url).pathname,
    activities,
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await client?.connection.close();
});

async function start(name: keyof HeartbeatTestActivities) {
  return client.workflow.start('runHeartbeatTestActivity', { taskQueue, workflowId: `heartbeat-${randomUUID()}`, args: [name] });
}

async function pendingActivity(workflowId: string) {
  return (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities?.[0];
}

test('a call outstanding for longer than the heartbeat timeout completes in its first attempt, its details heartbeated', async () => {
  const handle = await start('outlastHeartbeatTimeout');
  // Ten beats at 200 ms are twice the 1 s heartbeat timeout: without the timer the attempt would have timed out.
  await waitFor('ten heartbeats with their details on the server', async () => {
    const payload = (await pendingActivity(handle.workflowId))?.heartbeatDetails?.payloads?.[0];
    const details = payload ? defaultPayloadConverter.fromPayload<{ beats: number }>(payload) : undefined;
    return details && details.beats >= 10 ? true : undefined;
  });
  release(0);
  assert.equal(await handle.result(), 1, 'the first attempt completed: it never missed a heartbeat');
});

test('cancelling the activity aborts the signal handed to the call, which ends with the cancellation', async () => {
  aborted = undefined;
  const handle = await start('waitUntilCancelled');
  await waitFor('the activity to start', async () => ((await pendingActivity(handle.workflowId))?.lastStartedTime ? true : undefined));
  await handle.cancel();
  const outcome = await handle.result().then(() => assert.fail('the workflow completed although cancelled'), (error: unknown) => error);
  assert.ok(outcome instanceof WorkflowFailedError && outcome.cause instanceof CancelledFailure, String(outcome));
  assert.ok(aborted instanceof CancelledFailure, `the call saw the cancellation: ${String(aborted)}`);
});
