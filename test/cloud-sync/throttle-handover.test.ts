// A provider that throttles more often in a row than one attempt waits out: the attempt hands the wait to Temporal
// (nextRetryDelay), the next attempt resumes after the committed pages, and the sync ends with exact counts and
// nothing expired.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

let stack: DomainStack;

before(async () => {
  stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50' } });
});

after(async () => {
  await stack?.close();
});

interface RunResult { runId: string; state: string; totals: Record<string, number> }

async function sync(accountId: string): Promise<RunResult> {
  const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const result = await stack.client.workflow.getHandle(started.body.workflowId, started.body.runId).result();
  assert.equal(result.runs.length, 1);
  return result.runs[0];
}

test('ten throttles in a row: the wait is handed to Temporal, the next attempt resumes, counts are exact', async () => {
  const seed = randomUUID();
  const credentials = { seed, instancesPerRegion: 200, regions: 1, generation: 0 };
  const created = await stack.call('POST', '/v1/cloud-accounts', {
    name: `throttled-${seed}`,
    provider: 'sim',
    credentials,
    resourceTypes: ['instance'],
    syncIntervalMinutes: 0,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const accountId = created.body.id as string;

  const first = await sync(accountId);
  assert.equal(first.state, 'succeeded');
  const inventory = first.totals['created']!;
  assert.equal(inventory, 200);

  // The same listing again, but the page after the first one is refused 10 times in a row; one attempt waits out 8.
  await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { credentials: { ...credentials, throttle: { afterSlots: 50, times: 10, retryAfterMs: 100 } } });
  const throttled = await sync(accountId);
  assert.equal(throttled.state, 'succeeded');
  assert.deepEqual(throttled.totals, { created: 0, updated: 0, unchanged: inventory, expired: 0 }, 'every resource seen once, none expired');

  const run = (await stack.call('GET', `/v1/sync-runs/${throttled.runId}`)).body;
  const messages = (run.lines as { message: string }[]).map((line) => line.message);
  assert.equal(messages.filter((message) => /throttled at page 2/.test(message)).length, 9, '8 waits in the first attempt, 1 in the second');
  assert.ok(messages.includes('attempt 2 resumes after 1 committed pages'), messages.join('\n'));

  const [row] = await stack.orm.em.getConnection().execute<{ live: string; expired: string }[]>(
    'select count(*) filter (where expired_at is null)::text as live, count(*) filter (where expired_at is not null)::text as expired from resource where account_id = ?',
    [accountId],
  );
  assert.deepEqual({ live: Number(row!.live), expired: Number(row!.expired) }, { live: inventory, expired: 0 });
});
