// Durability of CMDB watch replay with a REAL `opsflow worker` subprocess: SIGKILLed while events are fetched and
// stored but not yet replayed (the webhook holds the first delivery open), then replaced; and the emulated CMDB
// restarted underneath the watchers. Nothing is lost: every event reaches the webhook in order and the mirror
// equals CMDB's own state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CmdbChangeGenerator } from '../../integrations/cmdb/emulator/change-generator.ts';
import { cmdbWatchWorkflowId } from '../../contracts/cmdb.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import {
  ALL_RESOURCES,
  WEBHOOK_SECRET,
  deliveriesInOrder,
  startReplayEmulator,
  startWebhookReceiver,
  topologyFromListApis,
  type TestEmulator,
  type WebhookReceiver,
  sourceBody,
} from './replay-fixture.ts';
import { TEST_AUTH } from '../cmdb/cmdb-fixture.ts';
import { waitFor } from '../support/wait.ts';

describe('CMDB replay survives a killed worker and a CMDB restart', () => {
  let stack: DomainStack;
  let cmdb: TestEmulator;
  let webhook: WebhookReceiver;
  let worker: WorkerProcess | undefined;
  let sourceId = '';

  const storedEvents = async () => Number((await stack.orm.em.fork().execute<Array<{ n: string }>>('select count(*) as n from cmdb_event'))[0]?.n ?? 0);

  async function converged(what: string): Promise<void> {
    let last = '';
    await waitFor(
      () => last,
      async () => {
        const mirror = (await stack.call('GET', `/v1/cmdb/topology?sourceId=${sourceId}`)).body.bizs;
        const truth = await topologyFromListApis(cmdb.emulator.url);
        last = `${what}: mirror ${JSON.stringify(mirror).slice(0, 300)} vs cmdb ${JSON.stringify(truth).slice(0, 300)}; worker said ${worker?.output().slice(-500)}`;
        return JSON.stringify(mirror) === JSON.stringify(truth);
      },
      90_000,
    );
  }

  async function allDelivered(): Promise<void> {
    await waitFor(
      async () => `delivered ${JSON.stringify([...deliveriesInOrder(webhook.accepted)].map(([r, s]) => [r, s.length]))} of ${JSON.stringify((await stack.call('GET', `/v1/cmdb/sources/${sourceId}/status`)).body.resources.map((e: { resource: string; received: number }) => [e.resource, e.received]))}`,
      async () => {
        const status = (await stack.call('GET', `/v1/cmdb/sources/${sourceId}/status`)).body;
        const delivered = deliveriesInOrder(webhook.accepted);
        return status.resources.every((entry: { resource: string; received: number }) => {
          const seqs = delivered.get(entry.resource) ?? [];
          return seqs.length === entry.received && seqs.every((seq, index) => seq === index + 1);
        });
      },
      90_000,
    );
  }

  before(async () => {
    stack = await startDomainStack({ queues: ['cmdb'], workers: false });
    cmdb = await startReplayEmulator(3600);
    webhook = await startWebhookReceiver();
  });

  after(async () => {
    if (sourceId) await stack.call('DELETE', `/v1/cmdb/sources/${sourceId}`).catch(() => undefined);
    await worker?.stop();
    await stack?.close();
    await webhook?.close();
    await cmdb?.close();
  });

  test('SIGKILL between fetch and replay, then an emulator restart: every event delivered in order, mirror equal to CMDB', async () => {
    const generator = new CmdbChangeGenerator(cmdb.emulator.state, { seed: 5 });
    generator.run(30);
    webhook.mode = 'hold';
    const created = await stack.call('POST', '/v1/cmdb/sources', sourceBody(cmdb.emulator.url, {
      name: 'durable',
      apiStyle: 'apigw',
      resources: ALL_RESOURCES,
      sinks: [{ type: 'topology' }, { type: 'webhook', url: webhook.url, secret: WEBHOOK_SECRET }],
    }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    sourceId = created.body.id;

    worker = startWorkerProcess(stack.env, 'cmdb');
    await converged('after the informer start');
    generator.run(80);
    // The watchers fetch and store; the webhook replay is stuck on its first delivery.
    await waitFor(async () => `stored ${await storedEvents()}, webhook requests ${webhook.requests}`, async () => (await storedEvents()) > 50 && webhook.requests > 0);
    assert.equal(webhook.accepted.length, 0, 'nothing was replayed to the webhook yet');
    await worker.kill();
    const storedAtKill = await storedEvents();

    webhook.mode = 'up';
    generator.run(40);
    worker = startWorkerProcess(stack.env, 'cmdb');
    await converged('after the replacement worker');
    await allDelivered();
    assert.ok((await storedEvents()) > storedAtKill, 'the new worker kept watching');

    // CMDB goes away (its data stays), changes happen, it comes back on the same address.
    await cmdb.emulator.close();
    generator.run(30);
    const watcher = stack.client.workflow.getHandle(cmdbWatchWorkflowId(sourceId, 'host'));
    await waitFor('the host watcher to find CMDB gone', async () => (await watcher.describe()).raw.pendingActivities?.[0]?.lastFailure ?? undefined);
    await cmdb.restart();
    generator.run(30);
    await converged('after the CMDB restart');
    await allDelivered();
    assert.equal(webhook.badSignatures, 0);
    assert.ok(!worker.output().includes(TEST_AUTH.appSecret) && !worker.output().includes(WEBHOOK_SECRET), 'the worker log has no secret');
  });
});
