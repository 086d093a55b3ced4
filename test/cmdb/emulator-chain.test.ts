// The emulator's event chains against the reference's rules and quirks, without HTTP in between.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CmdbFault, NO_EVENT_CURSOR, validateWatchRequest } from '../../integrations/cmdb/emulator/event-chain.ts';
import type { WatchOutcome, WatchRequest } from '../../integrations/cmdb/emulator/event-chain.ts';
import { CmdbEmulatorState, TopologyRuleError } from '../../integrations/cmdb/emulator/state.ts';

function setUp(retentionSeconds = 3600) {
  const clock = { now: Date.parse('2026-03-01T08:00:00Z') };
  const state = new CmdbEmulatorState({ retentionSeconds, maxEventsPerCall: 200, clock: () => clock.now });
  return { state, clock };
}

function hostWatch(overrides: Partial<WatchRequest> = {}): WatchRequest {
  return { resource: 'host', cursor: '', startFrom: 0, eventTypes: [], fields: ['bk_host_id'], ...overrides };
}

function events(outcome: WatchOutcome) {
  assert.equal(outcome.kind, 'events');
  return outcome.kind === 'events' ? outcome.events : [];
}

function faultOf(run: () => unknown): CmdbFault {
  try {
    run();
  } catch (error) {
    if (error instanceof CmdbFault) return error;
    throw error;
  }
  assert.fail('expected a CmdbFault');
}

describe('emulator event chain', () => {
  test('cursors use CMDB\'s encoding: version, type, oid, mongo op, cluster time', () => {
    const { state, clock } = setUp();
    state.createHost('10.0.0.1');
    const [event] = events(state.readWatch(hostWatch()));
    const fields = Buffer.from(event?.bk_cursor ?? '', 'base64').toString().split('\r');
    assert.equal(fields.length, 7);
    assert.equal(fields[0], '1');
    assert.equal(fields[1], '2');
    assert.match(fields[2] ?? '', /^[0-9a-f]{24}$/);
    assert.equal(fields[3], 'insert');
    assert.equal(fields[4], String(Math.floor(clock.now / 1000)));
    assert.equal(fields[6], '');
  });

  test('start-from mode returns up to 201 events: the first match plus 200 more', () => {
    const { state, clock } = setUp();
    const startFrom = Math.floor(clock.now / 1000);
    for (let index = 0; index < 250; index += 1) state.createHost(`10.0.${Math.floor(index / 200)}.${index % 200}`);
    clock.now += 5_000;
    assert.equal(events(state.readWatch(hostWatch({ startFrom }))).length, 201);
  });

  test('start-from newer than the last event answers like from-now: the newest event itself', () => {
    const { state, clock } = setUp();
    const host = state.createHost('10.0.0.1');
    clock.now += 10_000;
    const answer = events(state.readWatch(hostWatch({ startFrom: Math.floor(clock.now / 1000) - 1 })));
    assert.deepEqual(answer.map((event) => event.bk_detail), [{ bk_host_id: host.bk_host_id }]);
  });

  test('from-now with a filter the newest event misses answers NoEventCursor, which replays from the oldest event', () => {
    const { state } = setUp();
    const first = state.createHost('10.0.0.1');
    state.updateHost(first.bk_host_id, { bk_host_name: 'renamed' });
    const fromNow = state.readWatch(hostWatch({ eventTypes: ['create'] }));
    assert.deepEqual(fromNow, { kind: 'no-event', cursor: NO_EVENT_CURSOR });
    const replay = events(state.readWatch(hostWatch({ eventTypes: ['create'], cursor: NO_EVENT_CURSOR })));
    assert.deepEqual(replay.map((event) => [event.bk_event_type, event.bk_detail.bk_host_id]), [['create', first.bk_host_id]]);
  });

  test('cursor mode with nothing matching is pending: onto the chain tail, or the own cursor on an empty chain', () => {
    const { state } = setUp();
    const empty = state.readWatch({ resource: 'process', cursor: NO_EVENT_CURSOR, startFrom: 0, eventTypes: [], fields: [] });
    assert.deepEqual(empty, { kind: 'pending', cursorOnTimeout: NO_EVENT_CURSOR });
    const host = state.createHost('10.0.0.1');
    const [created] = events(state.readWatch(hostWatch()));
    state.updateHost(host.bk_host_id, { bk_host_name: 'renamed' });
    const [updated] = events(state.readWatch(hostWatch()));
    const deletesOnly = state.readWatch(hostWatch({ cursor: created?.bk_cursor ?? '', eventTypes: ['delete'] }));
    assert.deepEqual(deletesOnly, { kind: 'pending', cursorOnTimeout: updated?.bk_cursor });
  });

  test('an unknown cursor on a chain with events is 1103007, even a garbage string', () => {
    const { state } = setUp();
    state.createHost('10.0.0.1');
    assert.equal(faultOf(() => state.readWatch(hostWatch({ cursor: 'not-a-cursor' }))).code, 1103007);
  });

  test('retention: old cursors expire, except the last event written; start_from is bounded both ways', () => {
    const { state, clock } = setUp(600);
    state.createHost('10.0.0.1');
    const [early] = events(state.readWatch(hostWatch()));
    state.createHost('10.0.0.2');
    const [last] = events(state.readWatch(hostWatch()));
    clock.now += 601_000;
    assert.equal(faultOf(() => state.readWatch(hostWatch({ cursor: early?.bk_cursor ?? '' }))).code, 1103007);
    assert.deepEqual(state.readWatch(hostWatch({ cursor: last?.bk_cursor ?? '' })), { kind: 'pending', cursorOnTimeout: last?.bk_cursor });
    const nowSec = Math.floor(clock.now / 1000);
    assert.equal(faultOf(() => state.readWatch(hostWatch({ startFrom: nowSec - 601 }))).code, 1199006);
    assert.equal(faultOf(() => state.readWatch(hostWatch({ startFrom: nowSec + 1 }))).code, 1199006);
  });

  test('request validation follows watch.WatchEventOptions', () => {
    const message = (resource: string, body: Parameters<typeof validateWatchRequest>[1]) => faultOf(() => validateWatchRequest(resource, body)).message;
    assert.equal(message('biz', {}), 'biz event must have fields');
    assert.equal(message('host', { bk_fields: ['bk_host_id'], bk_event_types: ['upsert'] }), 'unsupported event type: upsert');
    assert.equal(message('set', { bk_fields: ['bk_set_id'], bk_filter: { bk_sub_resource: 'x' } }), 'set event cannot have sub resource');
    assert.equal(message('host_relation', { bk_cursor: 'c', bk_start_from: 1 }), 'bk_start_from and bk_cursor can not use at the same time');
    assert.equal(message('kube_thing', {}), 'unsupported cursor type kube_thing');
    assert.equal(validateWatchRequest('host_relation', {}).resource, 'host_relation', 'host_relation needs no fields');
    assert.equal(validateWatchRequest('object_instance', { bk_filter: { bk_sub_resource: 'switch' } }).resource, 'object_instance');
  });

  test('the topology refuses what CMDB refuses', () => {
    const { state } = setUp();
    const biz = state.createBusiness('payment');
    const set = state.createSet(biz.bk_biz_id, 'gz-zone-1');
    const module = state.createModule(set.bk_set_id, 'nginx');
    const host = state.createHost('10.0.0.1', {}, [module.bk_module_id]);
    assert.throws(() => state.deleteModule(module.bk_module_id), TopologyRuleError);
    assert.throws(() => state.deleteBusiness(biz.bk_biz_id), TopologyRuleError);
    assert.throws(() => state.deleteBusiness(1), /resource pool/);
    const poolIdle = state.snapshot().modules.find((candidate) => candidate.bk_biz_id === 1 && candidate.default === 1);
    assert.ok(poolIdle);
    assert.throws(() => state.transferHost(host.bk_host_id, [module.bk_module_id, poolIdle.bk_module_id]), /several businesses/);
    state.transferHost(host.bk_host_id, [poolIdle.bk_module_id]);
    state.deleteBusiness(biz.bk_biz_id);
    assert.deepEqual(state.snapshot().businesses.map((candidate) => candidate.bk_biz_id), [1]);
  });
});
