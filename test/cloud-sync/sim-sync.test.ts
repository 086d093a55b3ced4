// Cloud sync behaviour on the simulated cloud and the Alibaba fixture server: bad input, schedules, manual syncs,
// a failing region, a listing broken mid-pagination, throttling, and what deleting an account does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { startAliyunFixture, type AliyunFixtureServer } from '../../integrations/clouds/providers/aliyun/fixture-server.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';

describe('cloud sync on the simulated cloud', () => {
  let stack: DomainStack;
  let fixture: AliyunFixtureServer;

  const simAccount = (overrides: Record<string, unknown> = {}) => ({
    name: `sim-${randomUUID()}`,
    provider: 'sim',
    credentials: { seed: 'acme', instancesPerRegion: 120, regions: 2, generation: 0 },
    resourceTypes: ['instance', 'disk'],
    syncIntervalMinutes: 0,
    ...overrides,
  });

  async function create(body: Record<string, unknown>): Promise<string> {
    const created = await stack.call('POST', '/v1/cloud-accounts', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id;
  }

  async function sync(accountId: string): Promise<{ runs: { runId: string; resourceType: string; state: string; totals: Record<string, number> }[] }> {
    const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return stack.client.workflow.getHandle(started.body.workflowId, started.body.runId).result();
  }

  async function expired(accountId: string): Promise<{ region: string; externalId: string }[]> {
    return (await stack.call('GET', `/v1/resources?accountId=${accountId}&expired=true&limit=1000`)).body.items;
  }

  before(async () => {
    stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50' } });
    fixture = await startAliyunFixture();
  });

  after(async () => {
    await stack?.close();
    await fixture?.close();
  });

  test('an error no retry can fix (revoked credentials) fails the region in its first attempt, with the reason', async () => {
    const accountId = await create(simAccount({ credentials: { seed: 'acme', revoked: true }, regions: ['sim-east-1'], resourceTypes: ['instance'] }));
    const { runs } = await sync(accountId);
    assert.deepEqual(runs.map((run) => run.state), ['failed']);
    const run = (await stack.call('GET', `/v1/sync-runs/${runs[0]!.runId}`)).body;
    assert.match(run.regions['sim-east-1'].error, /revoked/);
    const retried = run.lines.filter((line: { message: string }) => /will retry|resumes after/.test(line.message));
    assert.deepEqual(retried, [], 'no second attempt');
  });

  test('bad input gets 422 naming the field, and nothing is written', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [simAccount({ provider: 'mainframe' }), 'body.provider'],
      [simAccount({ provider: 'aliyun', credentials: { accessKeyId: 'a', accessKeySecret: 'b' }, resourceTypes: ['load_balancer'] }), 'body.resourceTypes.0'],
      [simAccount({ syncIntervalMinutes: -5 }), 'body.syncIntervalMinutes'],
      [simAccount({ provider: 'aws', credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secret: 'x' } }), 'body.credentials.secretAccessKey'],
      [simAccount({ resourceTypes: ['mainframe'] }), 'body.resourceTypes.0'],
      [simAccount({ regions: ['sim-moon-9'], validate: true }), 'body.regions.0'],
      [simAccount({ credentials: { seed: 'x', revoked: true }, validate: true }), 'body.credentials'],
    ];
    for (const [body, field] of cases) {
      const response = await stack.call('POST', '/v1/cloud-accounts', body);
      assert.equal(response.status, 422, `${field}: ${JSON.stringify(response.body)}`);
      assert.ok(response.body.issues.some((issue: { path: string }) => issue.path === field), `${field} named in ${JSON.stringify(response.body.issues)}`);
    }
    const revoked = await stack.call('POST', '/v1/cloud-accounts', cases.at(-1)![0]);
    assert.match(revoked.body.message, /revoked/, 'the provider\'s reason is passed on');
    const refused = new Set(cases.map(([body]) => body.name));
    const listed = (await stack.call('GET', '/v1/cloud-accounts')).body.items as { name: string }[];
    assert.ok(!listed.some((account) => refused.has(account.name)), 'no refused account was written');
  });

  test('the provider catalog lists every built-in with its types and capabilities', async () => {
    const providers = (await stack.call('GET', '/v1/providers')).body.items;
    assert.deepEqual(providers.map((p: { id: string }) => p.id).sort(), ['aliyun', 'aws', 'sim']);
    const aws = providers.find((p: { id: string }) => p.id === 'aws');
    assert.ok(aws.resourceTypes.includes('load_balancer'));
    assert.equal(aws.capabilities.instanceLifecycle, true);
  });

  test('a manual sync asked twice while it runs returns the running one', async () => {
    const accountId = await create(simAccount());
    // No worker polls until both requests are answered, so the first sync is still running at the second.
    await stack.stopWorkers();
    let first: Awaited<ReturnType<DomainStack['call']>>;
    try {
      first = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`, { resourceTypes: ['instance'] });
      const second = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
      assert.equal(first.status, 202);
      assert.deepEqual(second.body, first.body);
      assert.equal(first.body.workflowId, `cloud-sync:${accountId}`);
    } finally {
      await stack.startWorkers();
    }
    const result = await stack.client.workflow.getHandle(first.body.workflowId, first.body.runId).result();
    assert.deepEqual(result.runs.map((run: { resourceType: string }) => run.resourceType), ['instance'], 'the chosen types only');
    const wrong = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`, { resourceTypes: ['vpc'] });
    assert.equal(wrong.status, 422);
  });

  test('one failing region gives partially_failed and expires nothing there; a broken listing expires nothing', async () => {
    const accountId = await create(simAccount());
    const first = await sync(accountId);
    assert.deepEqual(first.runs.map((run) => run.state), ['succeeded', 'succeeded']);
    assert.deepEqual(await expired(accountId), []);

    // Five generations later some instances and disks are gone, but sim-west-1 is having an outage.
    await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, {
      credentials: { seed: 'acme', instancesPerRegion: 120, regions: 2, generation: 5, unavailableRegions: ['sim-west-1'] },
    });
    const outage = await sync(accountId);
    assert.deepEqual(outage.runs.map((run) => run.state), ['partially_failed', 'partially_failed']);
    const afterOutage = await expired(accountId);
    assert.ok(afterOutage.length > 0, 'the healthy region expired what vanished');
    assert.deepEqual([...new Set(afterOutage.map((resource) => resource.region))], ['sim-east-1']);
    const detail = (await stack.call('GET', `/v1/sync-runs/${outage.runs[0]!.runId}`)).body;
    assert.equal(detail.state, 'partially_failed');
    assert.equal(detail.regions['sim-west-1'].state, 'failed');
    assert.match(detail.error, /sim-west-1: .*outage/);
    assert.ok(detail.lines.some((line: { level: string; region: string }) => line.level === 'error' && line.region === 'sim-west-1'));

    // Later still, the listing breaks after its first page: nothing more is expired anywhere.
    await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, {
      credentials: { seed: 'acme', instancesPerRegion: 120, regions: 2, generation: 10, brokenListingAfter: 60 },
    });
    const broken = await sync(accountId);
    assert.deepEqual(broken.runs.map((run) => run.state), ['failed', 'failed']);
    assert.equal((await expired(accountId)).length, afterOutage.length);
    const brokenRun = (await stack.call('GET', `/v1/sync-runs/${broken.runs[0]!.runId}`)).body;
    assert.match(brokenRun.error, /HTML error page/);
    assert.equal(brokenRun.counts['sim-east-1'].expired, 0);

    // Once the provider answers properly again, both regions catch up.
    await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { credentials: { seed: 'acme', instancesPerRegion: 120, regions: 2, generation: 10 } });
    const healed = await sync(accountId);
    assert.deepEqual(healed.runs.map((run) => run.state), ['succeeded', 'succeeded']);
    const afterHealing = await expired(accountId);
    assert.ok(afterHealing.length > afterOutage.length);
    assert.ok(afterHealing.some((resource) => resource.region === 'sim-west-1'));
  });

  test('throttling (Throttling.User with a retry-after) backs off and the sync succeeds', async () => {
    const accountId = await create({
      name: `aliyun-${randomUUID()}`,
      provider: 'aliyun',
      credentials: { accessKeyId: fixture.accessKeyId, accessKeySecret: fixture.accessKeySecret },
      endpoint: `http://${fixture.endpoint}`,
      regions: ['cn-hangzhou'],
      resourceTypes: ['instance'],
      syncIntervalMinutes: 0,
    });
    fixture.throttle(3, 300);
    const result = await sync(accountId);
    assert.equal(result.runs[0]!.state, 'succeeded');
    assert.equal(result.runs[0]!.totals['created'], fixture.records('cn-hangzhou').instances.length);
    const lines = (await stack.call('GET', `/v1/sync-runs/${result.runs[0]!.runId}`)).body.lines;
    assert.equal(lines.filter((line: { message: string }) => /throttled/.test(line.message)).length, 3);
  });

  test('the account schedule follows create, interval changes, pause, trigger and delete', async () => {
    const accountId = await create(simAccount({ syncIntervalMinutes: 5, resourceTypes: ['vpc', 'subnet'] }));
    const handle = stack.client.schedule.getHandle(`cloud-sync:${accountId}`);
    let described = await handle.describe();
    assert.equal(described.spec.intervals?.[0]?.every, 5 * 60_000);
    assert.equal(described.policies.overlap, 'SKIP');
    assert.equal(described.policies.catchupWindow, 5 * 60_000);
    assert.equal(described.state.paused, false);

    await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { syncIntervalMinutes: 10 });
    described = await handle.describe();
    assert.equal(described.spec.intervals?.[0]?.every, 10 * 60_000);
    assert.equal(described.state.paused, false);

    await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { syncIntervalMinutes: 0 });
    assert.equal((await handle.describe()).state.paused, true);
    await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { syncIntervalMinutes: 1, enabled: false });
    assert.equal((await handle.describe()).state.paused, true);
    const enabled = await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { enabled: true });
    assert.equal(enabled.status, 200);
    assert.equal((await handle.describe()).state.paused, false);

    await handle.trigger();
    const runs = await waitFor('the triggered sync', async () => {
      const items = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}`)).body.items;
      return items.length === 2 && items.every((run: { state: string }) => run.state !== 'running') ? items : undefined;
    });
    assert.deepEqual(runs.map((run: { state: string }) => run.state), ['succeeded', 'succeeded']);
    assert.match(runs[0].workflowId, new RegExp(`^cloud-sync:${accountId}:scheduled-`));
    const resources = (await stack.call('GET', `/v1/resources?accountId=${accountId}`)).body.items;
    assert.ok(resources.length > 0);
    const topology = (await stack.call('GET', `/v1/topology?accountId=${accountId}&vpcId=${resources.find((r: { type: string }) => r.type === 'vpc').externalId}`)).body;
    assert.ok(topology.nodes.some((node: { type: string }) => node.type === 'subnet'));
    assert.ok(topology.edges.every((edge: { kind: string }) => edge.kind === 'in_vpc'));

    const deleted = await stack.call('DELETE', `/v1/cloud-accounts/${accountId}`);
    assert.equal(deleted.status, 204);
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
    assert.equal((await stack.call('GET', `/v1/cloud-accounts/${accountId}`)).status, 404);
    assert.deepEqual((await stack.call('GET', `/v1/resources?accountId=${accountId}`)).body.items, [], 'the inventory goes with the account');
  });
});
