// CMDB watch replay end to end on the real stack: API → watcher workflows → emulator → stored events → replay
// into the topology mirror and a webhook. The topology endpoint must end equal to what CMDB's own list APIs
// report, through pre-existing data, churn, an expired cursor, a webhook outage and a permission denial.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CmdbChangeGenerator } from '../../integrations/cmdb/emulator/change-generator.ts';
import { ensureCursorRow, storeCmdbBatch } from '../../db/repositories/cmdb/cmdb-events.ts';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { cmdbReplayWakeSignal, cmdbReplayWorkflowId, cmdbWatchWorkflowId } from '../../contracts/cmdb.ts';
import { taskQueueName } from '../../contracts/task-queues.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';
import {
  ALL_RESOURCES,
  WATCH_FIELDS,
  WEBHOOK_SECRET,
  deliveriesInOrder,
  startReplayEmulator,
  startWebhookReceiver,
  topologyFromListApis,
  type TestEmulator,
  sourceBody,
} from './replay-fixture.ts';
import { TEST_AUTH } from '../cmdb/cmdb-fixture.ts';

// The emulated CMDB keeps events for 30 s while opsflow is configured for 10 minutes, like CMDB's docs (3 h) and
// code (6 h) disagreeing: a bk_start_from resume is then refused (1199006) and the watcher falls back to a re-list.
const RETENTION_SECONDS = 30;
const CONFIGURED_RETENTION_SECONDS = 600;

describe('CMDB watch replay', () => {
  let stack: DomainStack;
  let cmdb: TestEmulator;
  /** Sources the tests created, deleted at the end so their watchers stop. */
  const sources: string[] = [];

  const topology = async (id: string) => (await stack.call('GET', `/v1/cmdb/topology?sourceId=${id}`)).body.bizs;
  const status = async (id: string) => (await stack.call('GET', `/v1/cmdb/sources/${id}/status`)).body;

  /** An esb source on the shared emulator; the body's fields override the defaults. */
  async function createSource(body: Record<string, unknown>): Promise<{ id: string; sinks: Array<{ id: string; type: string }> }> {
    const created = await stack.call('POST', '/v1/cmdb/sources', sourceBody(cmdb.emulator.url, { name: `source-${sources.length}`, ...body }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    sources.push(created.body.id);
    return created.body;
  }

  /**
   * A source watching one resource, with a webhook sink on a receiver of the test's own (closed after it) and,
   * if asked, the topology mirror; returned once its watcher has taken its bookmark.
   */
  async function sourceWithWebhook(t: TestContext, resource: 'biz' | 'host', withTopology: boolean) {
    const webhook = await startWebhookReceiver();
    t.after(() => webhook.close());
    const source = await createSource({
      resources: [{ resource, mode: 'realtime', fields: [...WATCH_FIELDS[resource]] }],
      sinks: [...(withTopology ? [{ type: 'topology' }] : []), { type: 'webhook', url: webhook.url, secret: WEBHOOK_SECRET }],
    });
    await waitFor(`the ${resource} watcher took its bookmark`, async () => (await status(source.id)).resources[0].state === 'watching');
    const sinkId = (type: string) => source.sinks.find((sink) => sink.type === type)?.id;
    return { webhook, sourceId: source.id, webhookSinkId: sinkId('webhook')!, topologySinkId: sinkId('topology') };
  }

  async function converged(id: string): Promise<void> {
    let last = '';
    await waitFor(
      () => last,
      async () => {
        const [mirror, truth] = [await topology(id), await topologyFromListApis(cmdb.emulator.url)];
        last = `mirror ${JSON.stringify(mirror).slice(0, 400)} vs cmdb ${JSON.stringify(truth).slice(0, 400)}`;
        return JSON.stringify(mirror) === JSON.stringify(truth);
      },
      90_000,
      250,
    );
  }

  /**
   * Waits until the webhook sink's position has passed every event stored for each of the source's resources: each
   * was delivered before its position moved, and nothing moves it back, so no further delivery of them follows.
   */
  async function webhookCaughtUp(id: string, sinkId: string): Promise<void> {
    await waitFor(
      async () => `webhook sink behind: ${JSON.stringify((await status(id)).resources)}`,
      async () =>
        (await status(id)).resources.every((entry: { sinks: Array<{ sinkId: string; pending: number }> }) =>
          entry.sinks.some((sink) => sink.sinkId === sinkId && sink.pending === 0),
        ),
    );
  }

  before(async () => {
    stack = await startDomainStack({ queues: ['cmdb'], env: { OPSFLOW_CMDB_RETENTION_SECONDS: String(CONFIGURED_RETENTION_SECONDS) } });
    cmdb = await startReplayEmulator(RETENTION_SECONDS);
  });

  after(async () => {
    for (const id of sources) await stack.call('DELETE', `/v1/cmdb/sources/${id}`).catch(() => undefined);
    await stack?.close();
    await cmdb?.close();
  });

  test('bad input gets 422 naming the field, and nothing is written', async () => {
    const base = sourceBody(cmdb.emulator.url, {
      name: `bad-${randomUUID()}`,
      resources: [{ resource: 'host_relation', mode: 'realtime' }],
      sinks: [{ type: 'topology' }],
    });
    const cases: Array<[unknown, string]> = [
      [{ ...base, resources: [{ resource: 'mainframe', mode: 'realtime' }] }, 'body.resources.0.resource'],
      [{ ...base, resources: [{ resource: 'host', mode: 'realtime' }] }, 'body.resources.0.fields'],
      [{ ...base, sinks: [{ type: 'webhook', url: 'ftp://hooks.example/x', secret: WEBHOOK_SECRET }] }, 'body.sinks.0.url'],
      [{ ...base, resources: [{ resource: 'host_relation', mode: 'realtime', intervalMinutes: 5 }] }, 'body.resources.0.intervalMinutes'],
      [{ ...base, resources: [{ resource: 'host_relation', mode: 'interval' }] }, 'body.resources.0.intervalMinutes'],
      // An interval as long as CMDB's retention would find its cursor expired on every run.
      [{ ...base, resources: [{ resource: 'host_relation', mode: 'interval', intervalMinutes: 10 }] }, 'body.resources.0.intervalMinutes'],
      [{ ...base, appSecret: undefined }, 'body.appSecret'],
    ];
    for (const [payload, field] of cases) {
      const response = await stack.call('POST', '/v1/cmdb/sources', payload);
      assert.equal(response.status, 422, JSON.stringify(response.body));
      assert.ok(
        response.body.issues.some((issue: { path: string }) => issue.path === field),
        `${field} is named in ${JSON.stringify(response.body)}`,
      );
    }
    const listed = (await stack.call('GET', '/v1/cmdb/sources')).body.sources as Array<{ name: string }>;
    assert.ok(!listed.some((source) => source.name === base.name), 'no refused source was written');
  });

  test('the mirror follows pre-existing data, churn and an expired cursor to equal CMDB; the webhook survives an outage in order', async (t) => {
    const generator = new CmdbChangeGenerator(cmdb.emulator.state, { seed: 11 });
    generator.run(60);
    const webhook = await startWebhookReceiver();
    t.after(() => webhook.close());

    const created = await stack.call('POST', '/v1/cmdb/sources', sourceBody(cmdb.emulator.url, {
      name: 'emulated',
      resources: ALL_RESOURCES,
      sinks: [{ type: 'topology' }, { type: 'webhook', url: webhook.url, secret: WEBHOOK_SECRET }],
    }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const source = created.body;
    const sourceId: string = source.id;
    sources.push(sourceId);
    const webhookSinkId: string = source.sinks.find((sink: { type: string }) => sink.type === 'webhook').id;
    assert.equal(source.appSecret, '****');
    assert.ok(!JSON.stringify(created.body).includes(TEST_AUTH.appSecret) && !JSON.stringify(created.body).includes(WEBHOOK_SECRET), 'secrets are masked');
    assert.equal(source.resources[0].workflowId, cmdbWatchWorkflowId(sourceId, 'biz'));

    // The informer start lists what existed before opsflow was pointed at CMDB.
    await converged(sourceId);

    for (let round = 0; round < 5; round += 1) {
      generator.run(20);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    webhook.mode = 'down';
    generator.run(40);
    await waitFor(
      'the webhook outage shows as failed deliveries',
      async () => (await stack.call('GET', `/v1/cmdb/events?sourceId=${sourceId}&sinkState=failed&sinkId=${webhookSinkId}`)).body.events.length > 0,
    );
    // The topology sink is not held up by the webhook being down.
    await converged(sourceId);
    webhook.mode = 'up';

    // Expire every cursor whose resource changes next: its events fall out of the window; recovery re-lists.
    const relistsBefore = new Map<string, string>(
      (await stack.call('GET', `/v1/cmdb/sources/${sourceId}/status`)).body.resources.map((entry: { resource: string; lastRelistAt: string }) => [entry.resource, entry.lastRelistAt]),
    );
    cmdb.advance(RETENTION_SECONDS * 3);
    generator.run(60);
    await converged(sourceId);
    const status = (await stack.call('GET', `/v1/cmdb/sources/${sourceId}/status`)).body;
    const relisted = status.resources.filter((entry: { lastRelistAt: string | null }) => entry.lastRelistAt !== null);
    assert.equal(relisted.length, 5, 'every watcher re-listed at least once (informer start)');
    const recovered = status.resources.filter(
      (entry: { resource: string; lastRelistAt: string }) => entry.lastRelistAt !== relistsBefore.get(entry.resource),
    );
    assert.ok(recovered.length > 0, 'watchers whose cursor expired recovered by re-listing');
    assert.ok(status.resources.every((entry: { state: string }) => entry.state === 'watching'), 'and watch on');
    generator.run(40);
    await converged(sourceId);

    // Every stored event reached the webhook, each resource in order, despite the outage.
    const statusAfter = (await stack.call('GET', `/v1/cmdb/sources/${sourceId}/status`)).body;
    await waitFor(
      () => JSON.stringify([...deliveriesInOrder(webhook.accepted)].map(([resource, seqs]) => [resource, seqs.length])),
      () => {
        const delivered = deliveriesInOrder(webhook.accepted);
        return statusAfter.resources.every((entry: { resource: string; received: number }) => (delivered.get(entry.resource)?.length ?? 0) >= entry.received);
      },
    );
    const delivered = deliveriesInOrder(webhook.accepted);
    for (const entry of statusAfter.resources as Array<{ resource: string; received: number }>) {
      const seqs = delivered.get(entry.resource)!.slice(0, entry.received);
      assert.deepEqual(seqs, Array.from({ length: entry.received }, (_, index) => index + 1), `${entry.resource} delivered in order without gaps`);
    }
    assert.equal(webhook.badSignatures, 0, 'every delivery carries a valid HMAC-SHA256 signature');
    const webhookStatus = statusAfter.resources.flatMap((entry: { sinks: Array<{ type: string; failed: number; dead: number }> }) =>
      entry.sinks.filter((sink) => sink.type === 'webhook'),
    );
    assert.ok(webhookStatus.every((sink: { dead: number }) => sink.dead === 0));
  });

  test('an unknown cursor inside the window resumes with bk_start_from: no re-list, nothing lost, nothing twice', async () => {
    // A CMDB whose window is wider than opsflow's margin, so bk_start_from is accepted.
    const wide = await startReplayEmulator(3600);
    const receiver = await startWebhookReceiver();
    const created = await stack.call('POST', '/v1/cmdb/sources', sourceBody(wide.emulator.url, {
      name: 'resume',
      resources: [{ resource: 'set', mode: 'realtime', fields: ['bk_set_name'] }],
      sinks: [{ type: 'webhook', url: receiver.url, secret: WEBHOOK_SECRET }],
    }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const resumeId = created.body.id;
    const status = async () => (await stack.call('GET', `/v1/cmdb/sources/${resumeId}/status`)).body.resources[0];
    try {
      await waitFor('bookmarked', async () => (await status()).state === 'watching');
      const relistedAt = (await status()).lastRelistAt;
      const biz = wide.emulator.state.createBusiness('resume-biz');
      wide.emulator.state.createSet(biz.bk_biz_id, 'before-resume');
      await waitFor(() => `delivered ${receiver.accepted.length}`, () => receiver.accepted.length === 2);
      // The cursor becomes one CMDB does not know (as after a CMDB-side loss): 1103007 on the next poll.
      const storedCursor = async () =>
        (await stack.orm.em.fork().execute<Array<{ cursor: string }>>('select cursor from cmdb_cursor where source_id = ?', [resumeId]))[0]?.cursor;
      await stack.orm.em.fork().execute(`update cmdb_cursor set cursor = 'MQ0xDWdvbmU=' where source_id = ?`, [resumeId]);
      await waitFor('resumed with a new cursor', async () => (await storedCursor()) !== 'MQ0xDWdvbmU=');
      wide.emulator.state.createSet(biz.bk_biz_id, 'after-resume');
      await waitFor('the change after the resume arrives', () => receiver.accepted.some((event) => event.detail.bk_set_name === 'after-resume'));
      // bk_start_from replayed the earlier events again; those already stored kept their one copy (an event from
      // before the informer's bookmark may be stored now: consumers are idempotent, as CMDB requires anyway).
      const cursors = receiver.accepted.map((event) => event.cursor);
      assert.equal(new Set(cursors).size, cursors.length, 'no event is delivered twice');
      assert.deepEqual(receiver.accepted.map((event) => event.seq), cursors.map((_, index) => index + 1));
      assert.deepEqual(receiver.accepted.slice(0, 2).map((event) => event.detail.bk_set_name), ['空闲机池', 'before-resume']);
      assert.equal(receiver.accepted.at(-1)!.detail.bk_set_name, 'after-resume');
      assert.equal((await status()).lastRelistAt, relistedAt, 'no re-list was needed');
      assert.equal((await status()).received, receiver.accepted.length);
    } finally {
      assert.equal((await stack.call('DELETE', `/v1/cmdb/sources/${resumeId}`)).status, 204);
      await receiver.close();
      await wide.close();
    }
  });

  test('duplicated events are stored and applied once', async (t) => {
    const { webhook, sourceId, webhookSinkId } = await sourceWithWebhook(t, 'biz', true);

    const resource = 'biz';
    const before = await ensureCursorRow(stack.orm, sourceId, resource);
    const events = [
      { cursor: 'dup-cursor-a', eventType: 'create', detail: { bk_biz_id: 9001, bk_biz_name: 'dup-a', default: 0 } },
      { cursor: 'dup-cursor-a', eventType: 'create', detail: { bk_biz_id: 9001, bk_biz_name: 'dup-a', default: 0 } },
      { cursor: 'dup-cursor-b', eventType: 'delete', detail: { bk_biz_id: 9001, bk_biz_name: 'dup-a', default: 0 } },
    ];
    const batch = { sourceId, resource, events, cursor: before.cursor!, receivedAt: new Date(), caughtUpAt: null };
    const first = await storeCmdbBatch(stack.orm, batch);
    const again = await storeCmdbBatch(stack.orm, batch);
    assert.equal(first.stored, 2, 'an answer that repeats a cursor stores it once');
    assert.equal(again.stored, 0, 'a batch fetched twice (a retried poll) stores nothing new');
    await webhookCaughtUp(sourceId, webhookSinkId);
    assert.deepEqual(
      webhook.accepted.filter((event) => event.cursor.startsWith('dup-cursor-')).map((event) => event.cursor),
      ['dup-cursor-a', 'dup-cursor-b'],
    );
    const listed = (await stack.call('GET', `/v1/cmdb/events?sourceId=${sourceId}&resource=biz&limit=5`)).body.events;
    assert.equal(listed.filter((event: { cursor: string }) => event.cursor === 'dup-cursor-a').length, 1);
    await waitFor('the mirror applied the create and the delete', async () => (await status(sourceId)).resources[0].sinks.every((sink: { pending: number }) => sink.pending === 0));
    assert.ok((await topology(sourceId)).every((biz: { bkBizId: number }) => biz.bkBizId !== 9001), 'create then delete leaves nothing');
  });

  test('two replays of one webhook sink at once deliver every event once, in order per resource', async (t) => {
    const { webhook, sourceId, webhookSinkId } = await sourceWithWebhook(t, 'host', false);
    const own = stack.client.workflow.getHandle(cmdbReplayWorkflowId(sourceId, webhookSinkId));
    // A second replay of the same sink, as an attempt that a retry overlaps (its worker stalled, not dead) would be.
    const second = await stack.client.workflow.start('cmdbReplayWorkflow', {
      workflowId: `second-${cmdbReplayWorkflowId(sourceId, webhookSinkId)}`,
      taskQueue: taskQueueName(stack.config.temporal.taskQueuePrefix, 'cmdb'),
      args: [{ sourceId, sinkId: webhookSinkId }],
    });
    t.after(() => second.terminate().catch(() => undefined));
    const replaying = async (handle: WorkflowHandle) =>
      (await handle.describe()).raw.pendingActivities?.some((activity) => activity.state === proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) ?? false;

    webhook.mode = 'hold';
    const hosts = 20;
    for (let index = 1; index <= hosts; index += 1) cmdb.emulator.state.createHost(`10.123.0.${index}`, { bk_host_name: `concurrent-${index}` });
    await waitFor('the host events stored', async () => (await status(sourceId)).resources[0].received === hosts);
    await second.signal(cmdbReplayWakeSignal);
    await own.signal(cmdbReplayWakeSignal);
    await waitFor('both replays in flight while the receiver holds a delivery', async () => webhook.requests > 0 && (await replaying(own)) && (await replaying(second)));
    webhook.mode = 'up';
    await webhookCaughtUp(sourceId, webhookSinkId);
    // Neither replay has an activity left running, so no delivery of these events can still arrive.
    await waitFor('both replays idle', async () => !(await replaying(own)) && !(await replaying(second)));

    const arrived = webhook.accepted.filter((event) => event.resource === 'host').map((event) => event.seq);
    assert.deepEqual(arrived, Array.from({ length: hosts }, (_, index) => index + 1), 'each event arrived once, in sequence order');
    const [position] = await stack.orm.em.fork().execute<Array<{ applied_seq: string }>>(
      'select applied_seq from cmdb_sink_cursor where source_id = ? and sink_id = ? and resource = ?',
      [sourceId, webhookSinkId, 'host'],
    );
    assert.equal(Number(position?.applied_seq), hosts);
  });

  test('a webhook that stays down dead-letters after N attempts; a re-drive delivers it', async (t) => {
    const { webhook, sourceId, webhookSinkId, topologySinkId } = await sourceWithWebhook(t, 'host', true);
    const patched = await stack.call('PATCH', `/v1/cmdb/sources/${sourceId}`, {
      sinks: [{ type: 'topology', id: topologySinkId }, { type: 'webhook', id: webhookSinkId, url: webhook.url, maxAttempts: 2 }],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    webhook.mode = 'down';
    const host = cmdb.emulator.state.createHost('10.99.0.1', { bk_host_name: 'dead-letter-host' });
    await waitFor(
      'a dead letter appears',
      async () => (await stack.call('GET', `/v1/cmdb/events?sourceId=${sourceId}&sinkState=dead`)).body.events.length > 0,
    );
    const dead = (await stack.call('GET', `/v1/cmdb/events?sourceId=${sourceId}&sinkState=dead`)).body.events;
    const sinkState = dead[0].sinks.find((sink: { sinkId: string }) => sink.sinkId === webhookSinkId);
    assert.equal(sinkState.state, 'dead');
    assert.equal(sinkState.attempts, 2);
    assert.match(sinkState.lastError, /503/);

    webhook.mode = 'up';
    const redrive = await stack.call('POST', `/v1/cmdb/sources/${sourceId}/dead-letters/redrive`, { sinkId: webhookSinkId });
    assert.equal(redrive.status, 202, JSON.stringify(redrive.body));
    assert.ok(redrive.body.redriven >= 1);
    await waitFor(
      're-driven event delivered',
      () => webhook.accepted.some((event) => event.resource === 'host' && event.detail.bk_host_id === host.bk_host_id),
    );
    await waitFor(
      'no dead letters remain',
      async () => (await stack.call('GET', `/v1/cmdb/events?sourceId=${sourceId}&sinkState=dead`)).body.events.length === 0,
    );
  });

  test('a CMDB that denies the watch marks that watcher failed with the permission detail; resync after the grant recovers', async () => {
    cmdb.emulator.state.denyWatch('module');
    const created = await stack.call('POST', '/v1/cmdb/sources', {
      name: 'denied',
      baseUrl: cmdb.emulator.url,
      apiStyle: 'native',
      username: 'ops-bot',
      resources: [{ resource: 'module', mode: 'realtime', fields: ['bk_module_name'] }],
      sinks: [{ type: 'topology' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deniedId = created.body.id;
    try {
      await waitFor(
        async () => JSON.stringify((await stack.call('GET', `/v1/cmdb/sources/${deniedId}/status`)).body),
        async () => (await stack.call('GET', `/v1/cmdb/sources/${deniedId}/status`)).body.resources[0].state === 'failed',
      );
      const status = (await stack.call('GET', `/v1/cmdb/sources/${deniedId}/status`)).body.resources[0];
      assert.match(status.stateDetail, /watch_module_event/);
      cmdb.emulator.state.allowWatch('module');
      assert.equal((await stack.call('POST', `/v1/cmdb/sources/${deniedId}/resync`)).status, 202);
      await waitFor(
        'the watcher recovers once permitted',
        async () => (await stack.call('GET', `/v1/cmdb/sources/${deniedId}/status`)).body.resources[0].state === 'watching',
      );
    } finally {
      assert.equal((await stack.call('DELETE', `/v1/cmdb/sources/${deniedId}`)).status, 204);
    }
    assert.equal((await stack.call('GET', `/v1/cmdb/sources/${deniedId}`)).status, 404);
  });

  test('the cloud-link sink matches CMDB hosts to cloud instances by bk_cloud_inst_id or inner IP', async () => {
    const em = stack.orm.em.fork();
    const accountId = crypto.randomUUID();
    await em.execute(
      `insert into cloud_account (id, name, provider, credentials, resource_types, sync_interval_minutes, enabled, created_at, updated_at)
       values (?, 'link-test', 'sim', 'sealed', '["instance"]', 0, true, now(), now())`,
      [accountId],
    );
    const instance = async (externalId: string, privateIps: string[]) => {
      const id = crypto.randomUUID();
      await em.execute(
        `insert into resource (id, account_id, provider, type, region, external_id, attributes, tags, extra, content_hash, first_seen_at, last_seen_at)
         values (?, ?, 'sim', 'instance', 'sim-1', ?, ?::jsonb, '{}', '{}', 'h', now(), now())`,
        [id, accountId, externalId, JSON.stringify({ privateIps })],
      );
      return id;
    };
    const byId = await instance('i-linked-by-id', ['172.31.0.9']);
    const byIp = await instance('i-linked-by-ip', ['10.77.0.5', '10.77.0.6']);
    await instance('i-unrelated', ['10.88.0.1']);
    // A host that exists before the source: the informer start links it.
    const preexisting = cmdb.emulator.state.createHost('10.77.0.5', { bk_host_name: 'linked-before' });

    const created = await stack.call('POST', '/v1/cmdb/sources', sourceBody(cmdb.emulator.url, {
      name: 'cloud-linked',
      resources: [{ resource: 'host', mode: 'realtime', fields: ['bk_host_innerip'] }],
      sinks: [{ type: 'cloud-link' }],
    }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const linkedSource = created.body.id;
    try {
      const links = async () => (await stack.call('GET', `/v1/cmdb/sources/${linkedSource}/cloud-links`)).body.links;
      await waitFor(
        'the host watcher took its bookmark',
        async () => (await stack.call('GET', `/v1/cmdb/sources/${linkedSource}/status`)).body.resources[0].state === 'watching',
      );
      const state = cmdb.emulator.state;
      const viaId = state.createHost('192.168.1.1', { bk_cloud_inst_id: 'i-linked-by-id' });
      const viaIp = state.createHost('10.77.0.6', {});
      const unmatched = state.createHost('192.168.1.2', {});
      await waitFor(async () => JSON.stringify(await links()), async () => (await links()).length === 3);
      assert.deepEqual(
        (await links()).map((link: { bkHostId: number; resourceId: string; matchedBy: string }) => [link.bkHostId, link.resourceId, link.matchedBy]),
        [
          [preexisting.bk_host_id, byIp, 'inner-ip'],
          [viaId.bk_host_id, byId, 'cloud-inst-id'],
          [viaIp.bk_host_id, byIp, 'inner-ip'],
        ],
      );
      assert.ok(!(await links()).some((link: { bkHostId: number }) => link.bkHostId === unmatched.bk_host_id));
      state.deleteHost(viaIp.bk_host_id);
      await waitFor(async () => JSON.stringify(await links()), async () => (await links()).length === 2);
    } finally {
      assert.equal((await stack.call('DELETE', `/v1/cmdb/sources/${linkedSource}`)).status, 204);
    }
  });

  test('an interval resource runs from schedule cmdb-watch:<id>:<resource> and drains to the tip; PATCH to realtime swaps in a watcher', async () => {
    const created = await stack.call('POST', '/v1/cmdb/sources', sourceBody(cmdb.emulator.url, {
      name: 'interval',
      resources: [{ resource: 'biz', mode: 'interval', intervalMinutes: 5, fields: ['bk_biz_name'] }],
      sinks: [{ type: 'topology' }],
    }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const intervalSource = created.body.id;
    const scheduleId = cmdbWatchWorkflowId(intervalSource, 'biz');
    try {
      const schedule = stack.client.schedule.getHandle(scheduleId);
      const described = await schedule.describe();
      assert.deepEqual(described.spec.intervals?.map((interval) => interval.every), [5 * 60_000]);
      const names = async () => (await topology(intervalSource)).map((biz: { name: string }) => biz.name);
      // The first run (triggered at creation) is the informer start: the mirror lists every business.
      const expected = async () => (await topologyFromListApis(cmdb.emulator.url)).map((biz) => biz.name);
      await waitFor(async () => JSON.stringify(await names()), async () => JSON.stringify(await names()) === JSON.stringify(await expected()));
      // It drained to the tip and ended; the next run is five minutes away.
      const idle = await waitFor('the first run to end', async () => {
        const info = (await schedule.describe()).info;
        return info.runningActions.length === 0 && info.recentActions.length > 0 ? info : undefined;
      });

      const biz = cmdb.emulator.state.createBusiness('interval-born');
      cmdb.emulator.state.updateBusiness(biz.bk_biz_id, { bk_biz_name: 'interval-renamed' });
      assert.ok(!(await names()).includes('interval-renamed'), 'the change waits for the next run');
      const between = (await schedule.describe()).info;
      assert.equal(between.runningActions.length, 0, 'no run is open');
      assert.equal(between.recentActions.length, idle.recentActions.length, 'and none ran meanwhile: nothing moves between runs');
      await schedule.trigger();
      await waitFor(async () => JSON.stringify(await names()), async () => (await names()).includes('interval-renamed'));
      const runs = [];
      for await (const run of stack.client.workflow.list({ query: `WorkflowId STARTS_WITH "${scheduleId}"` })) runs.push(run.status.name);
      assert.ok(runs.length >= 1);

      // Switching the resource to realtime swaps the schedule for a long-running watcher with the same id.
      const patched = await stack.call('PATCH', `/v1/cmdb/sources/${intervalSource}`, { resources: [{ resource: 'biz', mode: 'realtime', fields: ['bk_biz_name'] }] });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      await assert.rejects(schedule.describe(), 'the schedule is gone');
      assert.equal((await stack.client.workflow.getHandle(scheduleId).describe()).status.name, 'RUNNING');
      cmdb.emulator.state.updateBusiness(biz.bk_biz_id, { bk_biz_name: 'realtime-renamed' });
      await waitFor(async () => JSON.stringify(await names()), async () => (await names()).includes('realtime-renamed'));
    } finally {
      assert.equal((await stack.call('DELETE', `/v1/cmdb/sources/${intervalSource}`)).status, 204);
    }
    assert.notEqual((await stack.client.workflow.getHandle(scheduleId).describe()).status.name, 'RUNNING', 'DELETE stops the watcher');
  });

  test('secrets appear neither in workflow history nor in the API log', async (t) => {
    const { webhook, sourceId, webhookSinkId } = await sourceWithWebhook(t, 'host', false);
    cmdb.emulator.state.createHost('10.66.0.1', { bk_host_name: 'secret-keeper' });
    await waitFor('the host event delivered', () => webhook.accepted.some((event) => event.detail.bk_host_name === 'secret-keeper'));

    for (const workflowId of [cmdbWatchWorkflowId(sourceId, 'host'), cmdbReplayWorkflowId(sourceId, webhookSinkId)]) {
      const history = JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory());
      for (const secret of [TEST_AUTH.appSecret, WEBHOOK_SECRET]) {
        assert.ok(!history.includes(secret), `${workflowId} history has no secret`);
        assert.ok(!history.includes(Buffer.from(secret).toString('base64').slice(0, 16)), 'nor base64-encoded');
      }
    }
    assert.ok(stack.log().length > 0);
    assert.ok(!stack.log().includes(TEST_AUTH.appSecret) && !stack.log().includes(WEBHOOK_SECRET), 'the API log has no secret');
  });
});
