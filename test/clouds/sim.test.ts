import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CloudAuthError, CloudNotFoundError, CloudRequestError, CloudUnavailableError } from '../../integrations/clouds/errors.ts';
import type { NormalizedResource } from '../../integrations/clouds/provider.ts';
import { simProvider } from '../../integrations/clouds/providers/sim/index.ts';
import type { SimCredentials } from '../../integrations/clouds/providers/sim/index.ts';
import { runProviderContract, listAll } from './contract.ts';
import { testOutbound } from '../support/outbound.ts';

const account: SimCredentials = { seed: 'contract', instancesPerRegion: 40, generation: 3 };

runProviderContract(
  'sim',
  simProvider,
  ({ pageSize, credentials }) => simProvider.connect({ outbound: testOutbound, credentials: { ...account, revoked: credentials === 'invalid' }, pageSize }),
  { smallPageSize: 7, relationsResolve: true },
);

function byId(resources: NormalizedResource[]): Map<string, NormalizedResource> {
  return new Map(resources.map((resource) => [resource.externalId, resource]));
}

describe('sim provider', () => {
  test('the same seed and generation give the same listing; another seed gives another', async () => {
    const first = await listAll(simProvider.connect({ outbound: testOutbound, credentials: { seed: 'a', generation: 7 } }), 'instance', 'sim-east-1');
    const again = await listAll(simProvider.connect({ outbound: testOutbound, credentials: { seed: 'a', generation: 7 }, pageSize: 13 }), 'instance', 'sim-east-1');
    const other = await listAll(simProvider.connect({ outbound: testOutbound, credentials: { seed: 'b', generation: 7 } }), 'instance', 'sim-east-1');
    assert.deepEqual(again, first);
    assert.notDeepEqual(
      other.map((resource) => [resource.name, resource.tags]),
      first.map((resource) => [resource.name, resource.tags]),
    );
  });

  test('each generation creates, updates and deletes resources, the same way every time', async () => {
    const diff = async () => {
      const before = byId(await listAll(simProvider.connect({ outbound: testOutbound, credentials: { seed: 'churn', instancesPerRegion: 200, generation: 10 } }), 'instance', 'sim-west-1'));
      const after = byId(await listAll(simProvider.connect({ outbound: testOutbound, credentials: { seed: 'churn', instancesPerRegion: 200, generation: 11 } }), 'instance', 'sim-west-1'));
      const created = [...after.keys()].filter((id) => !before.has(id));
      const deleted = [...before.keys()].filter((id) => !after.has(id));
      const updated = [...after.keys()].filter((id) => before.has(id) && JSON.stringify(before.get(id)) !== JSON.stringify(after.get(id)));
      return { created, deleted, updated };
    };
    const first = await diff();
    assert.equal(first.created.length, 4, '200 instances churn by 2% per generation');
    assert.equal(first.deleted.length, 4);
    assert.ok(first.updated.length > 0 && first.updated.length < 200, `some instances changed (${first.updated.length})`);
    assert.deepEqual(await diff(), first);
  });

  test('disks of deleted instances disappear with them; fixed sets only update', async () => {
    const at = (generation: number) => simProvider.connect({ outbound: testOutbound, credentials: { seed: 'churn', instancesPerRegion: 200, generation } });
    const instancesBefore = byId(await listAll(at(10), 'instance', 'sim-west-1'));
    const disksAfter = await listAll(at(11), 'disk', 'sim-west-1');
    const instancesAfter = byId(await listAll(at(11), 'instance', 'sim-west-1'));
    const deletedInstances = [...instancesBefore.keys()].filter((id) => !instancesAfter.has(id));
    for (const disk of disksAfter) {
      assert.ok(disk.type === 'disk' && !deletedInstances.includes(disk.attributes.instanceId ?? ''), `${disk.externalId} is not attached to a deleted instance`);
    }
    const vpcsBefore = await listAll(at(10), 'vpc', 'sim-west-1');
    const vpcsAfter = await listAll(at(11), 'vpc', 'sim-west-1');
    assert.deepEqual(vpcsAfter.map((vpc) => vpc.externalId), vpcsBefore.map((vpc) => vpc.externalId));
  });

  test('a listing that spans a generation change stays within the generation it started in', async () => {
    const session = simProvider.connect({ outbound: testOutbound, credentials: { seed: 'span', instancesPerRegion: 50, generation: 4 }, pageSize: 10 });
    const first = await session.list('instance', 'sim-east-1');
    assert.ok(first.nextPageToken);
    const later = simProvider.connect({ outbound: testOutbound, credentials: { seed: 'span', instancesPerRegion: 50, generation: 9 }, pageSize: 10 });
    const ids = first.resources.map((resource) => resource.externalId);
    let pageToken: string | undefined = first.nextPageToken;
    while (pageToken) {
      const page = await later.list('instance', 'sim-east-1', pageToken);
      ids.push(...page.resources.map((resource) => resource.externalId));
      pageToken = page.nextPageToken;
    }
    const expected = (await listAll(simProvider.connect({ outbound: testOutbound, credentials: { seed: 'span', instancesPerRegion: 50, generation: 4 } }), 'instance', 'sim-east-1')).map((resource) => resource.externalId);
    assert.deepEqual(ids, expected);
  });

  test('bad page tokens, unknown regions, outages and revoked keys fail with typed errors', async () => {
    const session = simProvider.connect({ outbound: testOutbound, credentials: { seed: 'errors', unavailableRegions: ['sim-west-1'] } });
    await assert.rejects(session.list('instance', 'sim-east-1', 'not-a-token'), CloudRequestError);
    await assert.rejects(session.list('instance', 'mars-1'), CloudNotFoundError);
    await assert.rejects(session.list('instance', 'sim-west-1'), CloudUnavailableError);
    const revoked = simProvider.connect({ outbound: testOutbound, credentials: { seed: 'errors', revoked: true } });
    await assert.rejects(revoked.listRegions(), (error: unknown) => error instanceof CloudAuthError && /revoked/.test(error.message));
  });

  test('streams 1,000,000 instances page by page without holding them', async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const session = simProvider.connect({ outbound: testOutbound, credentials: { seed: 'million', instancesPerRegion: 1_000_000, regions: 5, generation: 0 }, pageSize: 1000 });
    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;
    let count = 0;
    let pages = 0;
    let previousId = '';
    let peakGrowth = 0;
    let pageToken: string | undefined;
    do {
      const page = await session.list('instance', 'sim-north-1', pageToken);
      for (const resource of page.resources) {
        assert.ok(resource.externalId > previousId, 'ids ascend, so none repeats');
        previousId = resource.externalId;
      }
      count += page.resources.length;
      pageToken = page.nextPageToken;
      if (++pages % 100 === 0) {
        collectGarbage();
        peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - baseline);
      }
    } while (pageToken);
    assert.equal(count, 1_000_000);
    assert.equal(pages, 1000);
    assert.ok(peakGrowth < 100 * 1024 * 1024, `heap grew by ${Math.round(peakGrowth / 1024 / 1024)} MB while streaming`);
  });
});
