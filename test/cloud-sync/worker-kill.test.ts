// Durability: a real worker process SIGKILLed in the middle of a sync, then another one started, completes the
// run with exact counts (every resource created once, none updated twice) and no duplicate rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { simProvider } from '../../integrations/clouds/providers/sim/index.ts';
import { listAll } from '../clouds/contract.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';
import { testOutbound } from '../support/outbound.ts';

const credentials = { seed: 'kill-test', instancesPerRegion: 5000, regions: 2, generation: 3 };
const types = ['instance', 'disk'] as const;

/** What the simulated account holds, listed straight from the provider. */
async function simulatedCount(): Promise<number> {
  const session = simProvider.connect({ credentials, pageSize: 1000, outbound: testOutbound });
  let total = 0;
  for (const region of await session.listRegions()) {
    for (const type of types) total += (await listAll(session, type, region)).length;
  }
  return total;
}

let stack: DomainStack;
const workers: WorkerProcess[] = [];

before(async () => {
  stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50' }, workers: false });
});

after(async () => {
  for (const worker of workers) await worker.kill();
  await stack?.close();
});

test('a worker killed mid-sync is replaced and the run completes exactly once per resource', async () => {
  const created = await stack.call('POST', '/v1/cloud-accounts', {
    name: `kill-${randomUUID()}`,
    provider: 'sim',
    credentials,
    resourceTypes: [...types],
    syncIntervalMinutes: 0,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const accountId = created.body.id;
  const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
  assert.equal(started.status, 202);

  const first = startWorkerProcess(stack.env, 'cloud-sync');
  workers.push(first);
  const pagesAtKill = await waitFor(
    () => `the first worker to commit pages\n${first.output()}`,
    async () => {
      const runs = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}`)).body.items as { regions: Record<string, { pages: number }> }[];
      const pages = runs.flatMap((run) => Object.values(run.regions)).reduce((sum, region) => sum + region.pages, 0);
      return pages >= 8 ? pages : undefined;
    },
    120_000,
  );
  await first.kill();

  const second = startWorkerProcess(stack.env, 'cloud-sync');
  workers.push(second);
  const result = await stack.client.workflow.getHandle(started.body.workflowId, started.body.runId).result();

  const expected = await simulatedCount();
  const runs = result.runs as { runId: string; state: string; totals: Record<string, number> }[];
  assert.deepEqual(runs.map((run) => run.state), ['succeeded', 'succeeded']);
  const totals = runs.reduce(
    (sum, run) => ({ created: sum.created + run.totals['created']!, updated: sum.updated + run.totals['updated']!, unchanged: sum.unchanged + run.totals['unchanged']! }),
    { created: 0, updated: 0, unchanged: 0 },
  );
  assert.deepEqual(totals, { created: expected, updated: 0, unchanged: 0 }, 'no page was committed twice');
  assert.ok(pagesAtKill * 50 < expected, 'the kill happened before the end');

  const [row] = await stack.orm.em.getConnection().execute<{ rows: string; ids: string }[]>(
    'select count(*)::text as rows, count(distinct (type, region, external_id))::text as ids from resource where account_id = ?',
    [accountId],
  );
  assert.equal(Number(row!.rows), expected);
  assert.equal(Number(row!.ids), expected);

  const lines = (await stack.call('GET', `/v1/sync-runs/${runs[0]!.runId}`)).body.lines.concat(
    (await stack.call('GET', `/v1/sync-runs/${runs[1]!.runId}`)).body.lines,
  ) as { message: string }[];
  assert.ok(lines.some((line) => /resumes after \d+ committed pages/.test(line.message)), 'a retried attempt resumed from its checkpoint');
});
