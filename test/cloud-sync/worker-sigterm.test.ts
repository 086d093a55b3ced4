// A rolling restart: a real `opsflow worker --queue cloud-sync` process that provably holds a region listing gets
// SIGTERM, stops that listing after a committed page and exits 0; a second worker resumes the listing at the
// checkpoint, and when the sync is then cancelled every listed resource was counted exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';

const PAGE_SIZE = 50;

let stack: DomainStack;
const workers: WorkerProcess[] = [];

before(async () => {
  stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: String(PAGE_SIZE) }, workers: false });
});

after(async () => {
  for (const worker of workers) await worker.kill();
  await stack?.close();
});

interface RunDetail {
  id: string;
  state: string;
  error: string | null;
  counts: Record<string, Record<string, number>>;
  regions: Record<string, { state: string; pages: number }>;
  lines: { region: string | null; message: string }[];
}

test('SIGTERM to a worker in the middle of a listing: it exits 0, the next worker resumes, nothing is counted twice', async () => {
  // A million instances at 50 a page: no worker finishes this listing during the test.
  const created = await stack.call('POST', '/v1/cloud-accounts', {
    name: `sigterm-${randomUUID()}`,
    provider: 'sim',
    credentials: { seed: randomUUID(), instancesPerRegion: 1_000_000, regions: 1, generation: 0 },
    resourceTypes: ['instance'],
    syncIntervalMinutes: 0,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const accountId = created.body.id as string;
  const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
  assert.equal(started.status, 202);
  const child = stack.client.workflow.getHandle(`${started.body.workflowId}:instance`);
  const run = async (): Promise<RunDetail> => {
    const [listed] = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}`)).body.items as { id: string }[];
    return listed ? (await stack.call('GET', `/v1/sync-runs/${listed.id}`)).body : { id: '', state: 'none', error: null, counts: {}, regions: {}, lines: [] };
  };
  const pages = (detail: RunDetail) => Object.values(detail.regions).reduce((sum, region) => sum + region.pages, 0);
  /** The listing's worker as Temporal last saw it, once the run has committed at least `atLeast` pages. */
  const listingHeldBy = async (atLeast: number) => {
    const pending = (await child.describe().catch(() => undefined))?.raw.pendingActivities?.find((activity) => activity.activityType?.name === 'syncRegion');
    return pending?.lastWorkerIdentity && pages(await run()) >= atLeast ? pending.lastWorkerIdentity : undefined;
  };

  const first = startWorkerProcess(stack.env, 'cloud-sync');
  workers.push(first);
  const holder = await waitFor(() => `the first worker (pid ${first.pid}) to hold the listing\n${first.output()}`, () => listingHeldBy(2));
  assert.match(holder, new RegExp(`:${first.pid}/`), 'the listing in flight is the first worker\'s');

  assert.equal(await first.stop(), 0, `graceful SIGTERM exit\n${first.output()}`);
  const atExit = await run();
  const stopLine = atExit.lines.find((line) => /^attempt 1 stopped after \d+ committed pages, nothing expired: cancelled \(WORKER_SHUTDOWN\)$/.test(line.message));
  assert.ok(stopLine, `the listing stopped on the shutdown, after a committed page:\n${atExit.lines.map((line) => line.message).join('\n')}`);
  const stoppedAt = Number(/after (\d+) committed/.exec(stopLine.message)![1]);
  assert.equal(pages(atExit), stoppedAt, 'nothing was committed after the listing said it stopped');
  assert.equal(atExit.state, 'running');

  const second = startWorkerProcess(stack.env, 'cloud-sync');
  workers.push(second);
  const resumedBy = await waitFor(() => `the second worker (pid ${second.pid}) to resume the listing\n${second.output()}`, () => listingHeldBy(stoppedAt + 2));
  assert.match(resumedBy, new RegExp(`:${second.pid}/`));
  assert.ok((await run()).lines.some((line) => line.message === `attempt 2 resumes after ${stoppedAt} committed pages`), 'the second worker resumed at the checkpoint');
  // The first attempt ended when its worker shut down, not by a heartbeat timeout after the process was gone. Read
  // from the pending activity: history records an attempt's start only when it closes, which a cancelled workflow
  // need not wait for.
  const resumed = (await child.describe()).raw.pendingActivities?.find((activity) => activity.activityType?.name === 'syncRegion');
  assert.equal(resumed?.attempt, 2);
  assert.match(resumed?.lastFailure?.message ?? '', /Worker is shutting down/);

  const handle = stack.client.workflow.getHandle(started.body.workflowId as string);
  await handle.cancel();
  const outcome = await handle.result().then(() => assert.fail('the sync completed although it was cancelled'), (error: unknown) => error);
  assert.ok(outcome instanceof WorkflowFailedError && outcome.cause instanceof CancelledFailure, String(outcome));
  // Once the second worker has exited no listing can still be running: the run below is final.
  assert.equal(await second.stop(), 0, `graceful SIGTERM exit\n${second.output()}`);

  const final = await run();
  assert.equal(final.state, 'failed');
  assert.match(final.error ?? '', /cancelled before it finished/);
  const counts = Object.values(final.counts)[0]!;
  const [row] = await stack.orm.em.getConnection().execute<{ rows: string; ids: string; expired: string }[]>(
    `select count(*)::text as rows, count(distinct external_id)::text as ids, count(expired_at)::text as expired from resource where account_id = ?`,
    [accountId],
  );
  const committed = pages(final) * PAGE_SIZE;
  assert.deepEqual(
    { rows: Number(row!.rows), ids: Number(row!.ids), expired: Number(row!.expired) },
    { rows: committed, ids: committed, expired: 0 },
    'every committed page stored its resources once',
  );
  assert.deepEqual(counts, { created: committed, updated: 0, unchanged: 0, expired: 0 }, 'no page was listed or counted twice');
});
