// Cloud inventory sync throughput on an embedded stack this benchmark starts itself: (a) opsflow's sync path end to
// end (Temporal workflows, paged activity, checked + hashed records, one upsert and checkpoint per page),
// (b) the row-by-row "select, then insert or update" of hand-written sync scripts, (c) raw multi-row
// INSERT ... ON CONFLICT with pg (the limit). All three list the same simulated resources themselves.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CloudAccount } from '../db/entities/cloud-account.ts';
import { simProvider } from '../integrations/clouds/providers/sim/index.ts';
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
  const session = simProvider.connect({ credentials: credentials as never, pageSize: 1000 });
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

const rowOf = (resource: NormalizedResource) => [
  resource.type, resource.region, resource.zone ?? null, resource.externalId, resource.name ?? null, resource.status ?? null,
  JSON.stringify(resource.attributes), JSON.stringify(resource.tags), JSON.stringify(resource.extra), JSON.stringify(resource.raw ?? null),
];

/** (b) what the hand-written scripts do: one select, then one insert or update, per resource. */
async function rowByRow(db: pg.Client, credentials: object, limit: number): Promise<{ count: number; seconds: number }> {
  const accountId = randomUUID();
  await insertAccount(db, accountId);
  const started = performance.now();
  let count = 0;
  outer: for await (const page of simulatedResources(credentials)) {
    for (const resource of page) {
      const row = rowOf(resource);
      const found = await db.query('select id from resource where account_id = $1 and type = $2 and region = $3 and external_id = $4', [accountId, row[0], row[1], row[3]]);
      if (found.rowCount) {
        await db.query(
          'update resource set zone = $2, name = $3, status = $4, attributes = $5, tags = $6, extra = $7, raw = $8, last_seen_at = now() where id = $1',
          [found.rows[0].id, ...row.slice(2, 3), ...row.slice(4)],
        );
      } else {
        await db.query(
          `insert into resource (id, account_id, provider, type, region, zone, external_id, name, status, attributes, tags, extra, raw, content_hash, first_seen_at, last_seen_at)
           values (gen_random_uuid(), $1, 'sim', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', now(), now())`,
          [accountId, ...row],
        );
      }
      if (++count >= limit) break outer;
    }
  }
  return { count, seconds: (performance.now() - started) / 1000 };
}

/** (c) the limit: the same rows, 1,000 per multi-row INSERT ... ON CONFLICT, nothing else. */
async function rawUpsert(db: pg.Client, credentials: object): Promise<{ count: number; seconds: number }> {
  const accountId = randomUUID();
  await insertAccount(db, accountId);
  const started = performance.now();
  let count = 0;
  for await (const page of simulatedResources(credentials)) {
    const values: unknown[] = [accountId];
    const tuples = page.map((resource) => {
      const row = rowOf(resource);
      const at = values.length;
      values.push(...row);
      return `(gen_random_uuid(), $1, 'sim', ${row.map((_, i) => `$${at + i + 1}`).join(', ')}, '', now(), now())`;
    });
    await db.query(
      `insert into resource (id, account_id, provider, type, region, zone, external_id, name, status, attributes, tags, extra, raw, content_hash, first_seen_at, last_seen_at)
       values ${tuples.join(', ')}
       on conflict (account_id, type, region, external_id) do update set attributes = excluded.attributes, tags = excluded.tags, last_seen_at = excluded.last_seen_at`,
      values,
    );
    count += page.length;
  }
  return { count, seconds: (performance.now() - started) / 1000 };
}

export const syncBenchmark: Benchmark = {
  name: 'sync',
  summary: 'cloud inventory sync: opsflow end to end vs row-by-row vs raw multi-row upsert (--large: 1M resources)',
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
        credentials: createSecretBox(keyring).seal(credentials, `cloud_account:${accountId}`),
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
      const started = performance.now();
      const handle = await client.workflow.start('syncAccount', { workflowId, taskQueue: 'cloud-sync', args: [{ accountId }] });
      const result = (await handle.result()) as { runs: { totals: { created: number } }[] };
      const opsflowSeconds = (performance.now() - started) / 1000;
      const synced = result.runs.reduce((sum, run) => sum + run.totals.created, 0);
      let historyEvents = (await handle.fetchHistory()).events?.length ?? 0;
      for (const type of types) historyEvents += (await client.workflow.getHandle(`${workflowId}:${type}`).fetchHistory()).events?.length ?? 0;
      stop.abort();
      await running;

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      const baseline = await rowByRow(db, credentials, baselineSample);
      const raw = await rawUpsert(db, credentials);
      await db.end();

      const rate = (count: number, seconds: number) => count / seconds;
      const a = rate(synced, opsflowSeconds);
      const b = rate(baseline.count, baseline.seconds);
      const c = rate(raw.count, raw.seconds);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(`resources                    ${synced} (${types.join(' + ')}, ${regions} regions, pages of 1000)`);
      out(`(a) opsflow sync end to end  ${a.toFixed(0)} resources/s  (${opsflowSeconds.toFixed(1)} s)`);
      out(`(b) row-by-row baseline      ${b.toFixed(0)} resources/s  (sample of ${baseline.count})`);
      out(`(c) raw multi-row upsert     ${c.toFixed(0)} resources/s`);
      out(`ratio a/b                    ${(a / b).toFixed(1)}  (goal >= 20)`);
      out(`ratio a/c                    ${(a / c).toFixed(2)}  (goal >= 0.5)`);
      out(`peak RSS                     ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (this process: workers, listing, all three paths)`);
      out(`history events               ${historyEvents} (syncAccount + its ${types.length} children; goal < 500)`);
    } finally {
      await stack.close();
    }
  },
};
