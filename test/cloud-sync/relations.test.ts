// The inventory's edges across syncs: after every sync the stored edges of the live resources are exactly what the
// provider lists (a resync must neither drop nor duplicate them), and deleting an account removes its edges.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { simProvider } from '../../integrations/clouds/providers/sim/index.ts';
import type { ResourceType } from '../../integrations/clouds/provider.ts';
import { listAll } from '../clouds/contract.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { testOutbound } from '../support/outbound.ts';

const types: ResourceType[] = ['instance', 'disk'];

/** Every edge the simulated account lists at `generation`, as `type:externalId kind toType:toExternalId`. */
async function listedEdges(credentials: { seed: string; instancesPerRegion: number; regions: number; generation: number }): Promise<string[]> {
  const session = simProvider.connect({ credentials, pageSize: 100, outbound: testOutbound });
  const edges = new Set<string>();
  for (const region of await session.listRegions()) {
    for (const type of types) {
      for (const resource of await listAll(session, type, region)) {
        for (const relation of resource.relations ?? []) edges.add(`${type}:${resource.externalId} ${relation.kind} ${relation.toType}:${relation.toExternalId}`);
      }
    }
  }
  return [...edges].sort();
}

describe('inventory edges across syncs', () => {
  let stack: DomainStack;

  before(async () => {
    stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50' } });
  });

  after(async () => {
    await stack?.close();
  });

  async function storedEdges(accountId: string): Promise<string[]> {
    const rows = await stack.orm.em.fork().execute<{ edge: string }[]>(
      `select r.type || ':' || r.external_id || ' ' || e.kind || ' ' || e.to_type || ':' || e.to_external_id as edge
       from resource_relation e join resource r on r.id = e.from_id
       where e.account_id = ? and r.expired_at is null order by 1`,
      [accountId],
    );
    return rows.map((row) => row.edge).sort();
  }

  async function sync(accountId: string): Promise<{ runs: { totals: Record<string, number> }[] }> {
    const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return stack.client.workflow.getHandle(started.body.workflowId, started.body.runId).result();
  }

  test('a resync keeps the edges of unchanged resources and rewrites those of changed ones, and delete removes them', async () => {
    const credentials = { seed: `edges-${randomUUID()}`, instancesPerRegion: 90, regions: 2, generation: 0 };
    const created = await stack.call('POST', '/v1/cloud-accounts', {
      name: `edges-${randomUUID()}`,
      provider: 'sim',
      credentials,
      resourceTypes: types,
      syncIntervalMinutes: 0,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accountId: string = created.body.id;

    await sync(accountId);
    const first = await listedEdges(credentials);
    assert.ok(first.length > 200, 'the simulated account has edges to store');
    assert.deepEqual(await storedEdges(accountId), first);

    // The same generation again: every resource is unchanged, and every edge must still be there.
    const unchanged = await sync(accountId);
    assert.equal(unchanged.runs.reduce((sum, run) => sum + (run.totals.updated ?? 0) + (run.totals.created ?? 0), 0), 0);
    assert.deepEqual(await storedEdges(accountId), first);

    // The next generation creates, updates and deletes resources.
    const next = { ...credentials, generation: 1 };
    assert.equal((await stack.call('PATCH', `/v1/cloud-accounts/${accountId}`, { credentials: next })).status, 200);
    const changed = await sync(accountId);
    const totals = changed.runs.reduce((sum, run) => ({ updated: sum.updated + (run.totals.updated ?? 0), unchanged: sum.unchanged + (run.totals.unchanged ?? 0) }), { updated: 0, unchanged: 0 });
    assert.ok(totals.updated > 0 && totals.unchanged > 0, `generation 1 updates some resources and leaves others: ${JSON.stringify(totals)}`);
    assert.deepEqual(await storedEdges(accountId), await listedEdges(next));

    assert.equal((await stack.call('DELETE', `/v1/cloud-accounts/${accountId}`)).status, 204);
    const [left] = await stack.orm.em.fork().execute<{ count: string }[]>(`select count(*) as count from resource_relation where account_id = ?`, [accountId]);
    assert.equal(Number(left?.count), 0, 'the deleted account leaves no edges behind');
  });
});
