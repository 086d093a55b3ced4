// A cloud account's life against a real Temporal: when Temporal refuses a create, change or delete, the API answers
// 503 and keeps the account exactly as it was; a duplicate name answers 409; a change or delete a crash left
// half-way is converged by the reconciler; a sync cancelled from outside records why; deleting an account while it
// syncs cancels its syncs (the manual one and a scheduled one) and leaves no resource of it behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CancelledFailure, Client, ScheduleNotFoundError, WorkflowFailedError } from '@temporalio/client';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';
import pg from 'pg';
import { createCloudRegistry } from '../../integrations/clouds/registry.ts';
import { simProvider } from '../../integrations/clouds/providers/sim/index.ts';
import { createSecretBox } from '../../security/secrets.ts';
import { createCloudAccountService, type CloudAccountService } from '../../services/cloud-sync/accounts.ts';
import { testOutbound } from '../support/outbound.ts';

describe('cloud account lifecycle', () => {
  let stack: DomainStack;
  let refusing: Awaited<ReturnType<DomainStack['apiWith']>>;
  let accounts: CloudAccountService;

  const simAccount = (overrides: Record<string, unknown> = {}) => ({
    name: `sim-${randomUUID()}`,
    provider: 'sim',
    credentials: { seed: randomUUID(), instancesPerRegion: 40, regions: 1, generation: 0 },
    resourceTypes: ['instance'],
    syncIntervalMinutes: 5,
    ...overrides,
  });

  async function resourceRows(accountId: string): Promise<number> {
    const [row] = await stack.orm.em.getConnection().execute<{ n: string }[]>('select count(*)::text as n from resource where account_id = ?', [accountId]);
    return Number(row!.n);
  }

  before(async () => {
    stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50' } });
    // The real server refuses every call in a namespace it does not have.
    refusing = await stack.apiWith({ temporal: new Client({ connection: stack.client.connection, namespace: `opsflow-missing-${randomUUID()}` }) });
    // The service the API calls, here called directly to run the reconciler as a restarted API would.
    accounts = createCloudAccountService({
      orm: stack.orm,
      temporal: stack.client,
      secrets: createSecretBox(stack.keyring),
      clouds: () => createCloudRegistry({ outbound: testOutbound }),
      taskQueuePrefix: stack.config.temporal.taskQueuePrefix,
      outbound: testOutbound,
    });
  });

  /** What a process that died after claiming the row, before Temporal answered, leaves behind. */
  async function abandonClaim(accountId: string, temporalSide: 'applying' | 'deleting', set = ''): Promise<void> {
    await stack.orm.em.getConnection().execute(
      `update cloud_account set ${set} temporal_side = ?, temporal_side_since = now() - interval '10 minutes', revision = revision + 1 where id = ?`,
      [temporalSide, accountId],
    );
  }

  after(async () => {
    await refusing?.close();
    await stack?.close();
  });

  test('when Temporal refuses, create, change and delete answer 503 and the account stays as it was', async () => {
    const body = simAccount();
    const refusedCreate = await refusing.call('POST', '/v1/cloud-accounts', body);
    assert.equal(refusedCreate.status, 503, JSON.stringify(refusedCreate.body));
    // Which dependency refused what, never the dependency's own text (here it would name the missing namespace).
    assert.equal(refusedCreate.body.message, 'Temporal refused to create the sync schedule; nothing was changed');
    const listed = (await stack.call('GET', '/v1/cloud-accounts')).body.items as { name: string }[];
    assert.ok(!listed.some((account) => account.name === body.name), 'no account row is left behind');

    const created = await stack.call('POST', '/v1/cloud-accounts', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accountId = created.body.id as string;
    const schedule = stack.client.schedule.getHandle(`cloud-sync:${accountId}`);
    const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    await stack.client.workflow.getHandle(started.body.workflowId, started.body.runId).result();
    const inventory = await resourceRows(accountId);
    assert.equal(inventory, 40);

    const refusedPatch = await refusing.call('PATCH', `/v1/cloud-accounts/${accountId}`, { name: `renamed-${randomUUID()}`, syncIntervalMinutes: 10 });
    assert.equal(refusedPatch.status, 503, JSON.stringify(refusedPatch.body));
    assert.match(refusedPatch.body.message, /Temporal refused to update the sync schedule/);
    const unchanged = (await stack.call('GET', `/v1/cloud-accounts/${accountId}`)).body;
    assert.equal(unchanged.name, body.name);
    assert.equal(unchanged.syncIntervalMinutes, 5);
    assert.equal((await schedule.describe()).spec.intervals?.[0]?.every, 5 * 60_000);

    const refusedDelete = await refusing.call('DELETE', `/v1/cloud-accounts/${accountId}`);
    assert.equal(refusedDelete.status, 503, JSON.stringify(refusedDelete.body));
    assert.match(refusedDelete.body.message, /Temporal refused to delete the sync schedule/);
    assert.equal((await stack.call('GET', `/v1/cloud-accounts/${accountId}`)).status, 200, 'the account is kept');
    assert.equal(await resourceRows(accountId), inventory, 'its inventory is kept');
    assert.equal((await schedule.describe()).state.paused, false, 'its schedule is kept');

    assert.equal((await stack.call('DELETE', `/v1/cloud-accounts/${accountId}`)).status, 204);
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
    assert.equal(await resourceRows(accountId), 0);
  });

  test('a name already taken answers 409, on create and on rename, and nothing is written', async () => {
    const first = await stack.call('POST', '/v1/cloud-accounts', simAccount({ syncIntervalMinutes: 0 }));
    const second = await stack.call('POST', '/v1/cloud-accounts', simAccount({ syncIntervalMinutes: 0 }));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(second.status, 201, JSON.stringify(second.body));

    const duplicate = await stack.call('POST', '/v1/cloud-accounts', simAccount({ name: first.body.name }));
    assert.equal(duplicate.status, 409, JSON.stringify(duplicate.body));
    assert.equal(duplicate.body.error, 'conflict');
    assert.match(duplicate.body.message, /name .* is already taken/);
    const renamed = await stack.call('PATCH', `/v1/cloud-accounts/${second.body.id}`, { name: first.body.name });
    assert.equal(renamed.status, 409, JSON.stringify(renamed.body));
    assert.equal((await stack.call('GET', `/v1/cloud-accounts/${second.body.id}`)).body.name, second.body.name);
    const named = (await stack.call('GET', '/v1/cloud-accounts')).body.items.filter((account: { name: string }) => account.name === first.body.name);
    assert.equal(named.length, 1);
    for (const id of [first.body.id, second.body.id]) assert.equal((await stack.call('DELETE', `/v1/cloud-accounts/${id}`)).status, 204);
  });

  test('a change or delete a crash left half-way is converged by the reconciler, and blocks other writes meanwhile', async () => {
    const created = await stack.call('POST', '/v1/cloud-accounts', simAccount({ syncIntervalMinutes: 5 }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accountId = created.body.id as string;
    const schedule = stack.client.schedule.getHandle(`cloud-sync:${accountId}`);

    // A change in flight (claimed just now) is left to its request; other writes are told so.
    await stack.orm.em.getConnection().execute(`update cloud_account set temporal_side = 'applying', temporal_side_since = now() where id = ?`, [accountId]);
    const meanwhile = await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { syncIntervalMinutes: 30 });
    assert.equal(meanwhile.status, 409, JSON.stringify(meanwhile.body));
    assert.match(meanwhile.body.message, /being changed by another request/);
    assert.deepEqual(await accounts.reconcile(), { converged: 0, refused: 0 });

    // The row says 15 minutes and paused, Temporal still runs every 5: the request died before Temporal answered.
    await abandonClaim(accountId, 'applying', 'sync_interval_minutes = 15, enabled = false,');
    assert.equal((await schedule.describe()).spec.intervals?.[0]?.every, 5 * 60_000);
    assert.deepEqual(await accounts.reconcile(), { converged: 1, refused: 0 });
    const converged = await schedule.describe();
    assert.equal(converged.spec.intervals?.[0]?.every, 15 * 60_000);
    assert.equal(converged.state.paused, true);
    assert.equal((await accounts.get(accountId)).temporalSide, 'in_step');
    assert.equal((await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { enabled: true })).status, 200, 'writes are accepted again');
    assert.equal((await schedule.describe()).state.paused, false);

    // A delete that died after marking the row: the reconciler finishes it.
    await abandonClaim(accountId, 'deleting');
    const syncRefused = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    assert.equal(syncRefused.status, 409, JSON.stringify(syncRefused.body));
    assert.deepEqual(await accounts.reconcile(), { converged: 1, refused: 0 });
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
    assert.equal((await stack.call('GET', `/v1/cloud-accounts/${accountId}`)).status, 404);
  });

  test('a sync cancelled from outside (Web UI, CLI) marks its run failed and expires nothing, even if its last page lands after', async () => {
    // Generation 0 is stored by a full sync; by generation 5 some of those instances are gone, so a listing that
    // completed would expire them.
    const credentials = { seed: randomUUID(), instancesPerRegion: 300, regions: 1, generation: 0 };
    const created = await stack.call('POST', '/v1/cloud-accounts', simAccount({ credentials, syncIntervalMinutes: 0 }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accountId = created.body.id as string;
    const first = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    await stack.client.workflow.getHandle(first.body.workflowId, first.body.runId).result();
    const later = { ...credentials, generation: 5 };
    assert.equal((await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { credentials: later })).status, 200);

    const session = simProvider.connect({ credentials: later, pageSize: 50, outbound: testOutbound });
    const [region] = await session.listRegions();
    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const page = await session.list('instance', region!, pageToken);
      pages.push(page.resources.map((resource) => resource.externalId));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    const seen = new Set(pages.flat());
    const stored = await stack.orm.em.getConnection().execute<{ external_id: string }[]>('select external_id from resource where account_id = ?', [accountId]);
    assert.ok(stored.some((row) => !seen.has(row.external_id)), 'a completed listing of generation 5 would expire something');

    // The test holds rows of the last page, so the listing commits every page but that one and waits on it.
    const lock = new pg.Client({ connectionString: stack.databaseUrl });
    await lock.connect();
    try {
      await lock.query('begin');
      const locked = await lock.query('select id from resource where account_id = $1 and external_id = any($2) for update', [accountId, pages.at(-1)]);
      assert.ok(locked.rowCount! > 0, 'the last page updates rows that exist');

      const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
      assert.equal(started.status, 202);
      const runId = await waitFor('the listing to wait on its last page', async () => {
        const run = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}&limit=1`)).body.items[0] as { id: string; workflowId: string; regions: Record<string, { pages: number }> };
        if (run?.workflowId !== `${started.body.workflowId}:instance` || run.regions[region!]?.pages !== pages.length - 1) return undefined;
        // Read on another connection: inside the lock's transaction pg_stat_activity stays a snapshot of its start.
        const blocked = await stack.orm.em.fork().execute("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
        return blocked.length > 0 ? run.id : undefined;
      });

      const handle = stack.client.workflow.getHandle(started.body.workflowId as string);
      await handle.cancel();
      const outcome = await handle.result().then(() => assert.fail('the sync completed although it was cancelled'), (error: unknown) => error);
      assert.ok(outcome instanceof WorkflowFailedError && outcome.cause instanceof CancelledFailure, String(outcome));
      const abandoned = (await stack.call('GET', `/v1/sync-runs/${runId}`)).body;
      assert.equal(abandoned.state, 'failed');
      assert.match(abandoned.error, /cancelled before it finished/);
      assert.ok(abandoned.finishedAt);
    } finally {
      await lock.query('rollback').finally(() => lock.end());
    }

    // The listing gets its last page through only now, after the run was marked failed: it must stop there.
    const stopped = await waitFor('the listing to stop or complete', async () => {
      const run = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}&limit=1`)).body.items[0];
      const detail = (await stack.call('GET', `/v1/sync-runs/${run.id}`)).body;
      const line = (detail.lines as { region: string | null; message: string }[]).find((entry) => entry.region === region && /stopped/.test(entry.message));
      return line || detail.regions[region!].state !== 'listing' ? { detail, line } : undefined;
    });
    assert.equal(stopped.detail.regions[region!].state, 'listing', 'the region never completed');
    assert.equal(stopped.detail.regions[region!].pages, pages.length - 1, 'the last page was not committed');
    assert.match(stopped.line!.message, /nothing expired/);
    assert.equal(stopped.detail.state, 'failed');
    const [expired] = await stack.orm.em.getConnection().execute<{ n: string }[]>(
      'select count(*)::text as n from resource where account_id = ? and expired_at is not null',
      [accountId],
    );
    assert.equal(Number(expired!.n), 0, 'no resource of the account was expired');
    assert.equal((await stack.call('DELETE', `/v1/cloud-accounts/${accountId}`)).status, 204);
  });

  test('deleting an account cancels its running syncs, manual and scheduled, and leaves none of its resources', async () => {
    // 100k instances at 50 a page: neither sync can finish before the delete.
    const created = await stack.call('POST', '/v1/cloud-accounts', simAccount({
      credentials: { seed: randomUUID(), instancesPerRegion: 100_000, regions: 1, generation: 0 },
      syncIntervalMinutes: 60,
    }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accountId = created.body.id as string;

    const manual = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    assert.equal(manual.status, 202);
    const schedule = stack.client.schedule.getHandle(`cloud-sync:${accountId}`);
    await schedule.trigger();
    const scheduledId = await waitFor('the triggered scheduled sync', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId);
    assert.match(scheduledId, new RegExp(`^cloud-sync:${accountId}:scheduled-`));

    // Both are writing pages when the account is deleted.
    await waitFor('pages committed by both syncs', async () => {
      const runs = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}`)).body.items as { workflowId: string; regions: Record<string, { pages: number }> }[];
      const paging = runs.filter((run) => Object.values(run.regions).some((region) => region.pages >= 2));
      return paging.length === 2 ? paging : undefined;
    });
    assert.ok(await resourceRows(accountId) > 0);

    const deleted = await stack.call('DELETE', `/v1/cloud-accounts/${accountId}`);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));

    for (const workflowId of [manual.body.workflowId as string, scheduledId]) {
      const outcome = await stack.client.workflow.getHandle(workflowId).result().then(
        () => assert.fail(`${workflowId} completed although its account was deleted`),
        (error: unknown) => error,
      );
      assert.ok(outcome instanceof WorkflowFailedError, `${workflowId}: ${String(outcome)}`);
      assert.ok(outcome.cause instanceof CancelledFailure, `${workflowId} ends cancelled, not ${String(outcome.cause)}`);
      const child = await stack.client.workflow.getHandle(`${workflowId}:instance`).describe();
      assert.equal(child.status.name, 'CANCELLED', `${workflowId}'s child is cancelled too`);
    }
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);

    // Once the workers are stopped no activity can still be running: nothing was written after the delete.
    await stack.stopWorkers();
    assert.equal(await resourceRows(accountId), 0);
    assert.equal((await stack.call('GET', `/v1/sync-runs?accountId=${accountId}`)).body.items.length, 0);
  });
});
