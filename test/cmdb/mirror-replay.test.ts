// End-to-end use of the client as the watch workflows will use it: bookmark, re-list, replay events into a mirror,
// and end equal to the emulator's own topology after creations, transfers, renames and deletions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CmdbClient } from '../../integrations/cmdb/client.ts';
import { NO_EVENT_CURSOR } from '../../integrations/cmdb/emulator/event-chain.ts';
import { CmdbChangeGenerator } from '../../integrations/cmdb/emulator/change-generator.ts';
import type { TopologyChangeKind } from '../../integrations/cmdb/emulator/change-generator.ts';
import type { RunningCmdbEmulator } from '../../integrations/cmdb/emulator/server.ts';
import type { CmdbTopologySnapshot } from '../../integrations/cmdb/emulator/state.ts';
import type { CmdbDetail, CmdbWatchEvent, CmdbWatchResource } from '../../integrations/cmdb/types.ts';
import { ACCESS_STYLES, clientFor, drainWatch, startTestEmulator } from './cmdb-fixture.ts';

type MirroredResource = 'biz' | 'set' | 'module' | 'host' | 'host_relation';
const MIRRORED: MirroredResource[] = ['biz', 'set', 'module', 'host', 'host_relation'];

const WATCH_FIELDS: Record<MirroredResource, string[]> = {
  biz: ['bk_biz_id', 'bk_biz_name', 'default'],
  set: ['bk_set_id', 'bk_set_name', 'bk_biz_id', 'default'],
  module: ['bk_module_id', 'bk_module_name', 'bk_set_id', 'bk_biz_id', 'default'],
  host: ['bk_host_id', 'bk_host_innerip', 'bk_host_name'],
  host_relation: ['bk_biz_id', 'bk_set_id', 'bk_module_id', 'bk_host_id'],
};

type Mirror = Record<MirroredResource, Map<string, CmdbDetail>>;

function emptyMirror(): Mirror {
  return { biz: new Map(), set: new Map(), module: new Map(), host: new Map(), host_relation: new Map() };
}

function keyOf(resource: MirroredResource, detail: CmdbDetail): string {
  if (resource === 'host_relation') return `${String(detail.bk_host_id)}:${String(detail.bk_module_id)}`;
  const idField = { biz: 'bk_biz_id', set: 'bk_set_id', module: 'bk_module_id', host: 'bk_host_id' }[resource];
  return String(detail[idField]);
}

function project(detail: CmdbDetail, fields: string[]): CmdbDetail {
  return Object.fromEntries(fields.map((field) => [field, detail[field] ?? null]));
}

/** The reducer a sink would be: upsert on create/update, remove on delete, keyed by id. */
function applyEvent(mirror: Mirror, event: CmdbWatchEvent): void {
  const resource = event.bk_resource as MirroredResource;
  const key = keyOf(resource, event.bk_detail);
  if (event.bk_event_type === 'delete') mirror[resource].delete(key);
  else mirror[resource].set(key, project(event.bk_detail, WATCH_FIELDS[resource]));
}

function putListed(mirror: Mirror, resource: MirroredResource, items: CmdbDetail[]): void {
  for (const item of items) mirror[resource].set(keyOf(resource, item), project(item, WATCH_FIELDS[resource]));
}

function expectedMirror(snapshot: CmdbTopologySnapshot): Mirror {
  const mirror = emptyMirror();
  putListed(mirror, 'biz', snapshot.businesses);
  putListed(mirror, 'set', snapshot.sets);
  putListed(mirror, 'module', snapshot.modules);
  putListed(mirror, 'host', snapshot.hosts);
  putListed(mirror, 'host_relation', snapshot.hostRelations);
  return mirror;
}

function comparable(mirror: Mirror): Record<MirroredResource, Array<[string, CmdbDetail]>> {
  const sorted = (map: Map<string, CmdbDetail>) => [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    biz: sorted(mirror.biz),
    set: sorted(mirror.set),
    module: sorted(mirror.module),
    host: sorted(mirror.host),
    host_relation: sorted(mirror.host_relation),
  };
}

async function relistInto(mirror: Mirror, client: CmdbClient): Promise<void> {
  for await (const page of client.searchBusinessPages({ fields: WATCH_FIELDS.biz })) {
    putListed(mirror, 'biz', page.items);
    for (const biz of page.items) {
      const scope = { bk_biz_id: biz.bk_biz_id };
      for await (const sets of client.searchSetPages({ ...scope, fields: WATCH_FIELDS.set })) putListed(mirror, 'set', sets.items);
      for await (const modules of client.searchModulePages({ ...scope, fields: WATCH_FIELDS.module })) putListed(mirror, 'module', modules.items);
      for await (const hosts of client.listBizHostsPages({ ...scope, fields: WATCH_FIELDS.host })) putListed(mirror, 'host', hosts.items);
      for await (const rows of client.findHostTopoRelationPages(scope)) putListed(mirror, 'host_relation', rows.items);
    }
  }
}

async function replay(mirror: Mirror, client: CmdbClient, resource: MirroredResource, cursor: string): Promise<CmdbWatchEvent[]> {
  const { batches } = await drainWatch(client, { bk_resource: resource, bk_fields: WATCH_FIELDS[resource], bk_cursor: cursor });
  const events = batches.flatMap((batch) => batch.events);
  for (const event of events) applyEvent(mirror, event);
  return events;
}

for (const [index, style] of ACCESS_STYLES.entries()) {
  describe(`mirror over ${style}`, () => {
    let emulator: RunningCmdbEmulator;
    before(async () => {
      emulator = await startTestEmulator();
    });
    after(() => emulator.close());

    test('bookmark, re-list, replay: the mirror ends equal to the emulator after generated churn', async () => {
      const client = clientFor(emulator, style);
      const generator = new CmdbChangeGenerator(emulator.state, { seed: 7 + index });
      generator.run(80);

      const bookmarks = new Map<MirroredResource, string>();
      for (const resource of MIRRORED) {
        const fromNow = await client.resourceWatch({ bk_resource: resource, bk_fields: WATCH_FIELDS[resource] });
        bookmarks.set(resource, fromNow.cursor);
      }
      const changes = generator.run(40);
      const mirror = emptyMirror();
      await relistInto(mirror, client);
      changes.push(...generator.run(400));

      for (const resource of MIRRORED) await replay(mirror, client, resource, bookmarks.get(resource) ?? '');

      const kinds = new Set<TopologyChangeKind>(changes.map((change) => change.kind));
      for (const kind of ['create-host', 'transfer-host', 'rename-business', 'rename-set', 'rename-module', 'delete-host', 'delete-module'] as const) {
        assert.ok(kinds.has(kind), `the generated churn includes ${kind}`);
      }
      assert.deepEqual(comparable(mirror), comparable(expectedMirror(emulator.state.snapshot())));
    });
  });
}

describe('replay from the oldest retained event', () => {
  let emulator: RunningCmdbEmulator;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  test('a scripted topology replayed from NoEventCursor rebuilds the mirror; a transfer is delete then create', async () => {
    const state = emulator.state;
    const client = clientFor(emulator, 'native');
    const biz = state.createBusiness('payment');
    const set = state.createSet(biz.bk_biz_id, 'gz-zone-1');
    const nginx = state.createModule(set.bk_set_id, 'nginx');
    const api = state.createModule(set.bk_set_id, 'api');
    const web = state.createHost('10.5.0.1', { bk_host_name: 'web-01' });
    const db = state.createHost('10.5.0.2', { bk_host_name: 'db-01' });
    state.transferHost(web.bk_host_id, [nginx.bk_module_id]);
    state.transferHost(db.bk_host_id, [nginx.bk_module_id, api.bk_module_id]);
    state.updateBusiness(biz.bk_biz_id, { bk_biz_name: 'payment-core' });
    state.updateHost(web.bk_host_id, { bk_host_name: 'web-01a' });
    const cron = state.createModule(set.bk_set_id, 'cron');
    state.deleteModule(cron.bk_module_id);
    state.transferHost(db.bk_host_id, [api.bk_module_id]);
    state.deleteHost(db.bk_host_id);

    const mirror = emptyMirror();
    const replayed = new Map<CmdbWatchResource, CmdbWatchEvent[]>();
    for (const resource of MIRRORED) replayed.set(resource, await replay(mirror, client, resource, NO_EVENT_CURSOR));
    assert.deepEqual(comparable(mirror), comparable(expectedMirror(state.snapshot())));

    const webRelationEvents = (replayed.get('host_relation') ?? [])
      .filter((event) => event.bk_detail.bk_host_id === web.bk_host_id)
      .map((event) => [event.bk_event_type, event.bk_detail.bk_module_id]);
    const poolIdle = state.snapshot().modules.find((module) => module.bk_biz_id === 1 && module.default === 1);
    assert.deepEqual(webRelationEvents, [
      ['create', poolIdle?.bk_module_id],
      ['delete', poolIdle?.bk_module_id],
      ['create', nginx.bk_module_id],
    ]);
    assert.deepEqual(mirror.module.get(String(cron.bk_module_id)), undefined);
    assert.equal(mirror.biz.get(String(biz.bk_biz_id))?.bk_biz_name, 'payment-core');
    assert.equal(mirror.host.has(String(db.bk_host_id)), false);
  });
});
