// Re-list APIs through the client's paging generators: every object comes back exactly once, on every access path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CmdbApiError } from '../../integrations/cmdb/errors.ts';
import type { RunningCmdbEmulator } from '../../integrations/cmdb/emulator/server.ts';
import type { CmdbPage } from '../../integrations/cmdb/types.ts';
import { ACCESS_STYLES, clientFor, startTestEmulator } from './cmdb-fixture.ts';

async function collect<T>(pages: AsyncIterable<CmdbPage<T>>): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  for await (const page of pages) {
    items.push(...page.items);
    sizes.push(page.items.length);
  }
  return { items, sizes };
}

describe('re-list paging', () => {
  let emulator: RunningCmdbEmulator;
  let bizId: number;

  before(async () => {
    emulator = await startTestEmulator();
    const state = emulator.state;
    bizId = state.createBusiness('payment').bk_biz_id;
    for (let index = 0; index < 5; index += 1) state.createBusiness(`biz-${index}`);
    const sets = Array.from({ length: 230 }, (_, index) => state.createSet(bizId, `gz-zone-${index}`));
    const modules = sets.slice(0, 80).flatMap((set) => [state.createModule(set.bk_set_id, 'nginx'), state.createModule(set.bk_set_id, 'api')]);
    for (let index = 0; index < 1100; index += 1) {
      const module = modules[index % modules.length];
      assert.ok(module);
      state.createHost(`10.9.${Math.floor(index / 250)}.${(index % 250) + 1}`, {}, [module.bk_module_id]);
    }
  });
  after(() => emulator.close());

  for (const style of ACCESS_STYLES) {
    test(`every business, set, module, host and relation over ${style}`, async () => {
      const client = clientFor(emulator, style);
      const snapshot = emulator.state.snapshot();

      const businesses = await collect(client.searchBusinessPages({ fields: ['bk_biz_id', 'bk_biz_name'] }, { pageSize: 4 }));
      assert.deepEqual(businesses.items, snapshot.businesses.map((biz) => ({ bk_biz_id: biz.bk_biz_id, bk_biz_name: biz.bk_biz_name })));
      assert.deepEqual(businesses.sizes, [4, 3]);

      const sets = await collect(client.searchSetPages({ bk_biz_id: bizId }));
      assert.deepEqual(sets.items.map((set) => set.bk_set_id), snapshot.sets.filter((set) => set.bk_biz_id === bizId).map((set) => set.bk_set_id));
      assert.deepEqual(sets.sizes, [200, 31], '230 sets plus the idle set, 200 a page');

      const modules = await collect(client.searchModulePages({ bk_biz_id: bizId, fields: ['bk_module_id', 'bk_set_id'] }));
      assert.deepEqual(
        modules.items.map((module) => module.bk_module_id),
        snapshot.modules.filter((module) => module.bk_biz_id === bizId).map((module) => module.bk_module_id),
        'bk_set_id 0 lists the modules of every set',
      );

      const hosts = await collect(client.listBizHostsPages({ bk_biz_id: bizId, fields: ['bk_host_id', 'bk_host_innerip'] }));
      assert.equal(hosts.items.length, 1100);
      assert.deepEqual(hosts.sizes, [500, 500, 100]);
      assert.deepEqual(new Set(hosts.items.map((host) => host.bk_host_id)), new Set(snapshot.hosts.map((host) => host.bk_host_id)));

      const relations = await collect(client.findHostTopoRelationPages({ bk_biz_id: bizId }));
      assert.equal(relations.sizes.length, 6);
      assert.deepEqual(
        relations.items.map((row) => [row.bk_host_id, row.bk_module_id, row.bk_set_id]).sort(([a], [b]) => (a ?? 0) - (b ?? 0)),
        snapshot.hostRelations.filter((row) => row.bk_biz_id === bizId).map((row) => [row.bk_host_id, row.bk_module_id, row.bk_set_id]),
      );
    });
  }

  test('filters narrow the listing and a resumed pager starts where it was told', async () => {
    const client = clientFor(emulator, 'native');
    const firstSet = emulator.state.snapshot().sets.find((set) => set.bk_biz_id === bizId && set.default === 0);
    assert.ok(firstSet);
    const inSet = await collect(client.listBizHostsPages({ bk_biz_id: bizId, bk_set_ids: [firstSet.bk_set_id], fields: ['bk_host_id'] }));
    const expected = emulator.state.snapshot().hostRelations.filter((row) => row.bk_set_id === firstSet.bk_set_id).map((row) => row.bk_host_id);
    assert.deepEqual(inSet.items.map((host) => host.bk_host_id), expected);

    const resumed = await collect(client.searchSetPages({ bk_biz_id: bizId }, { startAt: 200 }));
    assert.equal(resumed.items.length, 31);
  });

  test('a page larger than CMDB allows is refused with CMDB\'s error', async () => {
    const client = clientFor(emulator, 'apigw');
    const error = await collect(client.searchSetPages({ bk_biz_id: bizId }, { pageSize: 201 })).catch((e: unknown) => e);
    assert.ok(error instanceof CmdbApiError, String(error));
    assert.equal(error.operation, 'search_set');
    assert.match(error.cmdbMessage, /page limit/);
  });
});
