// Cloud inventory sync throughput on an embedded stack this benchmark starts itself: (a) opsflow's sync path end to
// end (Temporal workflows, paged activity, checked + hashed records, one upsert and checkpoint per page, edges),
// (b) the row-by-row "select, then insert or update" of hand-written sync scripts, storing the same inventory
// (each resource, then its edges), with (b0) the same loop storing the resource rows only, and (c) the limit: the
// resource rows alone, 1,000 per INSERT ... ON CONFLICT with pg, in the fastest form measured here. All of them
// list the same simulated resources themselves. (a') then resyncs the account one generation later, the steady
// state of a scheduled sync: a few creates, updates and deletions among mostly unchanged resources.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CloudAccount, cloudAccountCredentialsContext } from '../db/entities/cloud-sync/cloud-account.ts';
import { simProvider } from '../integrations/clouds/providers/sim/index.ts';
import { OutboundPolicy } from '../integrations/outbound/policy.ts';
import type { NormalizedResource, ResourceType } from '../integrations/clouds/provider.ts';
import { createSecretBox } from '../security/secrets.ts';
import { createWorkers, runWorkersUntil } from '../workers/worker.ts';
import { startBenchStack } from './stack.ts';
import type { Benchmark } from './run.ts';

const types: ResourceType[] = ['instance', 'disk'];
const regions = 5;
/** instance + ~1.67 disks per instance, in 5 regions: 8,600 per region is about 100k resources. */
const instancesPerRegion = (large: boolean) => (large ? 86_000 : 8_600);
const baselineSample = 10_000;

async function* simulatedResources(credentials: object): AsyncGenerator<NormalizedResource[]> {
  // The simulated provider dials nothing; the policy is the default one.
  const session = simProvider.connect({ credentials: credentials as never, pageSize: 1000, outbound: new OutboundPolicy({ allow: [], deny: [] }) });
  for (const region of await session.listRegions()) {
    for (const type of types) {
      let token: string | undefined;
      do {
        const page = await session.list(type, region, token);
        yield page.resources;
        token = page.nextPageToken;
      } while (token);
    }
  }
}

async function insertAccount(db: pg.Client, id: string): Promise<void> {
  await db.query(
    `insert into cloud_account (id, name, provider, credentials, resource_types, sync_interval_minutes, enabled, created_at, updated_at)
     values ($1, $2, 'sim', 'none', '[]', 0, true, now(), now())`,
    [id, `bench-${id}`],
  );
}

const resourceColumns = 'id, account_id, provider, type, region, zone, external_id, name, status, attributes, tags, extra, raw, content_hash, first_seen_at, last_seen_at';

const rowOf = (resource: NormalizedResource) => [
  resource.type, resource.region, resource.zone ?? null, resource.externalId, resource.name ?? null, resource.status ?? null,
  JSON.stringify(resource.attributes), JSON.stringify(resource.tags), JSON.stringify(resource.extra), JSON.stringify(resource.raw ?? null),
];

/**
 * (b) what the hand-written scripts do: one select, then one insert or update, per resource; with `edges`, then
 * its edges replaced (one delete, one insert per edge), so that it stores the same inventory as (a).
 */
async function rowByRow(db: pg.Client, credentials: object, limit: number, edges: boolean): Promise<{ count: number; seconds: number }> {
  const accountId = randomUUID();
  await insertAccount(db, accountId);
  const started = performance.now();
  let count = 0;
  outer: for await (const page of simulatedResources(credentials)) {
    for (const resource of page) {
      const row = rowOf(resource);
      const found = await db.query('select id from resource where account_id = $1 and type = $2 and region = $3 and external_id = $4', [accountId, row[0], row[1], row[3]]);
      let id: string = found.rows[0]?.id;
      if (id) {
        await db.query(
          'update resource set zone = $2, name = $3, status = $4, attributes = $5, tags = $6, extra = $7, raw = $8, last_seen_at = now() where id = $1',
          [id, ...row.slice(2, 3), ...row.slice(4)],
        );
      } else {
        id = randomUUID();
        await db.query(`insert into resource (${resourceColumns}) values ($1, $2, 'sim', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', now(), now())`, [id, accountId, ...row]);
      }
      if (edges) {
        await db.query('delete from resource_relation where from_id = $1', [id]);
        for (const relation of new Map((resource.relations ?? []).map((edge) => [`${edge.kind} ${edge.toType} ${edge.toExternalId}`, edge])).values()) {
          await db.query('insert into resource_relation (from_id, kind, to_type, to_external_id, account_id) values ($1, $2, $3, $4, $5)', [
            id, relation.kind, relation.toType, relation.toExternalId, accountId,
          ]);
        }
      }
      if (++count >= limit) break outer;
    }
  }
  return { count, seconds: (performance.now() - started) / 1000 };
}

/**
 * (c) the limit: the resource rows alone, 1,000 per statement. The rows travel as one JSON parameter expanded by
 * jsonb_to_recordset, which measured faster here than a VALUES list of bound parameters.
 */
async function rawUpsert(db: pg.Client, credentials: object): Promise<{ count: number; seconds: number }> {
  const accountId = randomUUID();
  await insertAccount(db, accountId);
  const started = performance.now();
  let count = 0;
  for await (const page of simulatedResources(credentials)) {
    const rows = page.map((resource) => ({
      type: resource.type, region: resource.region, zone: resource.zone ?? null, external_id: resource.externalId, name: resource.name ?? null,
      status: resource.status ?? null, attributes: resource.attributes, tags: resource.tags, extra: resource.extra, raw: resource.raw ?? null,
    }));
    await db.query(
      `insert into resource (${resourceColumns})
       select gen_random_uuid(), $1::uuid, 'sim', x.type, x.region, x.zone, x.external_id, x.name, x.status, x.attributes, x.tags, x.extra, x.raw, '', now(), now()
       from jsonb_to_recordset($2::jsonb)
         as x(type text, region text, zone text, external_id text, name text, status text, attributes jsonb, tags jsonb, extra jsonb, raw jsonb)
       on conflict (account_id, type, region, external_id) do update set attributes = excluded.attributes, tags = excluded.tags, last_seen_at = excluded.last_seen_at`,
      [accountId, JSON.stringify(rows)],
    );
    count += page.length;
  }
  return { count, seconds: (performance.now() - started) / 1000 };
}

export const syncBenchmark: Benchmark = {
  name: 'sync',
  summary: 'cloud inventory sync: opsflow end to end (first sync and resync) vs row-by-row vs raw multi-row upsert (--large: 1M resources)',
  async run(args) {
    const large = args.includes('--large');
    const credentials = { seed: 'bench', instancesPerRegion: instancesPerRegion(large), regions, generation: 1 };
    const stack = await startBenchStack({ OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '1000' });
    try {
      const { config, databaseUrl, orm, keyring, client, connection } = stack;

      // (a) opsflow: a sim account synced by syncAccount on in-process workers, timed from start to result.
      const accountId = randomUUID();
      const em = orm.em.fork();
      em.create(CloudAccount, {
        id: accountId,
        name: 'bench-sim',
        provider: 'sim',
        credentials: createSecretBox(keyring).seal(credentials, cloudAccountCredentialsContext(accountId)),
        endpoint: null,
        regions: null,
        resourceTypes: types,
        syncIntervalMinutes: 0,
        enabled: true,
      });
      await em.flush();
      const workers = await createWorkers({ config, connection, keyring, orm }, ['cloud-sync']);
      const stop = new AbortController();
      const running = runWorkersUntil(workers, stop.signal);
      const workflowId = `cloud-sync:${accountId}`;
      type Totals = { created: number; updated: number; unchanged: number; expired: number };
      const syncOnce = async () => {
        const started = performance.now();
        const handle = await client.workflow.start('syncAccount', { workflowId, taskQueue: 'cloud-sync', args: [{ accountId }] });
        const result = (await handle.result()) as { runs: { totals: Totals }[] };
        const seconds = (performance.now() - started) / 1000;
        const totals = { created: 0, updated: 0, unchanged: 0, expired: 0 };
        for (const run of result.runs) for (const key of Object.keys(totals) as (keyof Totals)[]) totals[key] += run.totals[key];
        return { seconds, totals, handle };
      };
      const first = await syncOnce();
      const synced = first.totals.created;
      let historyEvents = (await first.handle.fetchHistory()).events?.length ?? 0;
      for (const type of types) historyEvents += (await client.workflow.getHandle(`${workflowId}:${type}`).fetchHistory()).events?.length ?? 0;
      // (a') the next scheduled sync: the simulated account one generation later.
      const nextGeneration = createSecretBox(keyring).seal({ ...credentials, generation: credentials.generation + 1 }, cloudAccountCredentialsContext(accountId));
      await orm.em.fork().nativeUpdate(CloudAccount, { id: accountId }, { credentials: nextGeneration });
      const resync = await syncOnce();
      stop.abort();
      await running;

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      const baseline = await rowByRow(db, credentials, baselineSample, true);
      const rowsOnly = await rowByRow(db, credentials, baselineSample, false);
      const raw = await rawUpsert(db, credentials);
      await db.end();

      const rate = (count: number, seconds: number) => count / seconds;
      const a = rate(synced, first.seconds);
      const resynced = resync.totals.created + resync.totals.updated + resync.totals.unchanged;
      const a2 = rate(resynced, resync.seconds);
      const b = rate(baseline.count, baseline.seconds);
      const b0 = rate(rowsOnly.count, rowsOnly.seconds);
      const c = rate(raw.count, raw.seconds);
      const { created, updated, unchanged, expired } = resync.totals;
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(`resources                    ${synced} (${types.join(' + ')}, ${regions} regions, pages of 1000)`);
      out(`(a)  opsflow sync end to end ${a.toFixed(0)} resources/s  (${first.seconds.toFixed(1)} s, first sync: resources and edges)`);
      out(`(a') opsflow resync          ${a2.toFixed(0)} resources/s  (${resync.seconds.toFixed(1)} s; created ${created}, updated ${updated}, unchanged ${unchanged}, expired ${expired})`);
      out(`(b)  row-by-row, same data   ${b.toFixed(0)} resources/s  (sample of ${baseline.count}: each resource, then its edges)`);
      out(`(b0) row-by-row, rows only   ${b0.toFixed(0)} resources/s  (sample of ${rowsOnly.count}: resource rows, no edges)`);
      out(`(c)  raw multi-row upsert    ${c.toFixed(0)} resources/s  (resource rows only, serial)`);
      out(`ratio a/b                    ${(a / b).toFixed(1)}  (goal >= 20)`);
      out(`ratio a'/b                   ${(a2 / b).toFixed(1)}`);
      out(`ratio a/b0                   ${(a / b0).toFixed(1)}  (a stores edges, b0 does not)`);
      out(`ratio a/c                    ${(a / c).toFixed(2)}  (goal >= 0.5)`);
      out(`peak RSS                     ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (this process: workers, listing, all paths)`);
      out(`history events               ${historyEvents} (syncAccount + its ${types.length} children; goal < 500)`);
    } finally {
      await stack.close();
    }
  },
};
