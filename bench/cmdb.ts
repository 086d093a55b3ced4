// CMDB watch replay on an embedded stack this benchmark starts itself, against the in-process CMDB emulator:
// (a) 100k events replayed into the topology mirror through opsflow (watcher workflows long-polling through
// activities, events stored with their cursors, a replay workflow applying them), (b) a direct in-process loop
// from the same emulator into the same mirror tables (the limit), and (c) event-to-applied latency at a steady
// 200 events/s through opsflow.
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { Orm } from '../db/orm.ts';
import { applyTopologyChanges } from '../db/repositories/cmdb/cmdb-mirror.ts';
import { CmdbClient } from '../integrations/cmdb/client.ts';
import { OutboundPolicy } from '../integrations/outbound/policy.ts';
import { startCmdbEmulator } from '../integrations/cmdb/emulator/server.ts';
import { CmdbChangeGenerator } from '../integrations/cmdb/emulator/change-generator.ts';
import { CMDB_REPLAY_RESOURCES, effectiveFields, type CmdbReplayResource } from '../contracts/cmdb.ts';
import { createCmdbSourceService } from '../services/cmdb/sources.ts';
import { createSecretBox } from '../security/secrets.ts';
import { bundleWorkflows, createWorkers, runWorkersUntil } from '../workers/worker.ts';
import { startBenchStack } from './stack.ts';
import type { Benchmark } from './run.ts';

const AUTH = { appCode: 'bench', appSecret: 'bench-secret', username: 'bench' };
const LATENCY_RATE = 200;
const LATENCY_SECONDS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function appliedByResource(orm: Orm, sourceId: string, sinkId: string): Promise<Map<string, number>> {
  const rows = await orm.em.fork().execute<Array<{ resource: string; applied_seq: string }>>(
    'select resource, applied_seq from cmdb_sink_cursor where source_id = ? and sink_id = ?',
    [sourceId, sinkId],
  );
  return new Map(rows.map((row) => [row.resource, Number(row.applied_seq)]));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const cmdbBenchmark: Benchmark = {
  name: 'cmdb',
  summary: 'CMDB watch replay: events/s into the topology mirror through opsflow vs a direct loop; latency at 200 events/s',
  async run(args) {
    const total = Number(args.find((arg) => arg.startsWith('--events='))?.slice('--events='.length) ?? 100_000);
    const stack = await startBenchStack();
    const emulator = await startCmdbEmulator({ host: '127.0.0.1', holdMs: 20_000, auth: AUTH });
    const out = (line: string) => process.stdout.write(`${line}\n`);
    try {
      const { config, orm, keyring, client, connection } = stack;
      const outbound = new OutboundPolicy(config.outbound);
      const bundle = await bundleWorkflows();
      const startWorkers = async () => {
        const workers: Worker[] = await createWorkers({ config, connection, keyring, orm, workflowBundle: bundle, outbound }, ['cmdb']);
        const stop = new AbortController();
        const running = runWorkersUntil(workers, stop.signal);
        return async () => {
          stop.abort();
          await running;
        };
      };

      const appended = new Map<string, number[]>(CMDB_REPLAY_RESOURCES.map((resource) => [resource, []]));
      emulator.state.onEventAppended((resource) => appended.get(resource)?.push(performance.now()));
      const generator = new CmdbChangeGenerator(emulator.state, { seed: 3 });
      generator.run(50);

      let stopWorkers = await startWorkers();
      // A source following every topology resource into the mirror, created as the API creates one.
      const sources = createCmdbSourceService({
        orm,
        temporal: client,
        secrets: createSecretBox(keyring),
        taskQueuePrefix: config.temporal.taskQueuePrefix,
        retentionSeconds: config.cmdb.retentionSeconds,
        outbound,
      });
      const source = await sources.create({
        name: 'bench',
        baseUrl: emulator.url,
        apiStyle: 'esb',
        ...AUTH,
        supplierAccount: '0',
        resources: CMDB_REPLAY_RESOURCES.map((resource) => ({ resource, mode: 'realtime' as const, fields: effectiveFields(resource, []) })),
        sinks: [{ type: 'topology' }],
      });
      const sourceId = source.id;
      const sinkId = source.sinks[0]!.id;
      // Wait for the informer start of every resource, then keep the bookmarks for the direct loop.
      let bookmarks: Array<{ resource: string; cursor: string }> = [];
      for (;;) {
        bookmarks = await orm.em.fork().execute('select resource, cursor from cmdb_cursor where source_id = ? and cursor is not null', [sourceId]);
        if (bookmarks.length === CMDB_REPLAY_RESOURCES.length) break;
        await sleep(100);
      }
      await stopWorkers();

      // (a) 100k events while no worker runs, then opsflow's workers replay them all into the mirror.
      for (const times of appended.values()) times.length = 0;
      const count = () => [...appended.values()].reduce((sum, times) => sum + times.length, 0);
      while (count() < total) generator.step();
      const generated = count();
      const generatedBy = new Map([...appended].map(([resource, times]) => [resource, times.length]));
      const startedA = performance.now();
      const cpuBefore = process.cpuUsage();
      stopWorkers = await startWorkers();
      let storedSeconds = NaN;
      for (;;) {
        if (Number.isNaN(storedSeconds)) {
          const [row] = await orm.em.fork().execute<Array<{ n: string }>>('select coalesce(sum(last_seq), 0) as n from cmdb_cursor where source_id = ?', [sourceId]);
          if (Number(row?.n ?? 0) >= generated) storedSeconds = (performance.now() - startedA) / 1000;
        }
        const applied = await appliedByResource(orm, sourceId, sinkId);
        if ([...applied.values()].reduce((sum, seq) => sum + seq, 0) >= generated) break;
        await sleep(50);
      }
      const secondsA = (performance.now() - startedA) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuShareA = (cpu.user + cpu.system) / 1e6 / secondsA;

      // (b) the limit: the same events from the same bookmarks, straight into the same mirror tables.
      const direct = new CmdbClient({ baseUrl: emulator.url, access: { style: 'esb', ...AUTH }, outbound });
      const directSource = randomUUID();
      const startedB = performance.now();
      let directCount = 0;
      for (const { resource, cursor: bookmark } of bookmarks) {
        let cursor = bookmark;
        let seen = 0;
        const expected = generatedBy.get(resource) ?? 0;
        while (seen < expected) {
          const batch = await direct.resourceWatch({ bk_resource: resource as CmdbReplayResource, bk_fields: effectiveFields(resource as CmdbReplayResource, []), bk_cursor: cursor });
          cursor = batch.cursor;
          seen += batch.events.length;
          await orm.em.fork().transactional((tx) =>
            applyTopologyChanges(tx, directSource, resource as CmdbReplayResource, batch.events.map((event) => ({ eventType: event.bk_event_type, detail: event.bk_detail }))),
          );
        }
        directCount += seen;
      }
      const secondsB = (performance.now() - startedB) / 1000;

      // (c) latency at a steady rate: the k-th event of a resource after this point is applied when the sink's
      // position on that resource passes base + k.
      const base = await appliedByResource(orm, sourceId, sinkId);
      for (const times of appended.values()) times.length = 0;
      const latencies: number[] = [];
      const seenApplied = new Map<string, number>();
      const tickMs = 50;
      const stepsPerTick = Math.max(1, Math.round((LATENCY_RATE * tickMs) / 1000 / 1.6));
      const ticker = setInterval(() => {
        for (let i = 0; i < stepsPerTick; i += 1) generator.step();
      }, tickMs);
      const latencyStart = performance.now();
      let draining = false;
      while (!draining || [...appended].some(([resource, times]) => (seenApplied.get(resource) ?? 0) < times.length)) {
        if (!draining && performance.now() - latencyStart > LATENCY_SECONDS * 1000) {
          clearInterval(ticker);
          draining = true;
        }
        const applied = await appliedByResource(orm, sourceId, sinkId);
        const now = performance.now();
        for (const [resource, times] of appended) {
          const done = Math.min(times.length, (applied.get(resource) ?? 0) - (base.get(resource) ?? 0));
          for (let k = seenApplied.get(resource) ?? 0; k < done; k += 1) latencies.push(now - times[k]!);
          seenApplied.set(resource, Math.max(seenApplied.get(resource) ?? 0, done));
        }
        await sleep(10);
      }
      const latencyEvents = latencies.length;
      const rate = latencyEvents / LATENCY_SECONDS;
      latencies.sort((x, y) => x - y);
      await stopWorkers();

      const a = generated / secondsA;
      const b = directCount / secondsB;
      out(`events                              ${generated} (biz, set, module, host, host_relation; ≤200 per watch call)`);
      out(`(a) opsflow watch → store → replay  ${a.toFixed(0)} events/s  (${secondsA.toFixed(1)} s)`);
      out(`    of which fetched and stored  in ${storedSeconds.toFixed(1)} s; this process (emulator + workers) used ${(cpuShareA * 100).toFixed(0)}% of a core`);
      out(`(b) direct loop into the mirror     ${b.toFixed(0)} events/s  (${secondsB.toFixed(1)} s)`);
      out(`ratio a/b                           ${(a / b).toFixed(2)}  (goal >= 0.5)`);
      out(`latency at ~${rate.toFixed(0)} events/s, ${latencyEvents} events: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (goal p99 < 1000 ms; 10 ms polling granularity)`);
    } finally {
      await emulator.close();
      await stack.close();
    }
  },
};
