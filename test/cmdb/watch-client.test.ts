// The CMDB client against the emulator over all three access styles: long poll, placeholder, batching and typed errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CmdbApiError,
  CmdbAuthError,
  CmdbCursorExpiredError,
  CmdbError,
  CmdbPermissionError,
  CmdbStartFromOutOfRangeError,
  CmdbUnavailableError,
} from '../../integrations/cmdb/errors.ts';
import { CmdbClient } from '../../integrations/cmdb/client.ts';
import { NO_EVENT_CURSOR } from '../../integrations/cmdb/emulator/event-chain.ts';
import type { RunningCmdbEmulator } from '../../integrations/cmdb/emulator/server.ts';
import { ACCESS_STYLES, TEST_AUTH, accessFor, clientFor, drainWatch, startTestEmulator } from './cmdb-fixture.ts';
import { testOutbound } from '../support/outbound.ts';

const HOST_FIELDS = ['bk_host_id', 'bk_host_innerip', 'bk_host_name'];

for (const style of ACCESS_STYLES) {
  describe(`resource_watch over ${style}`, () => {
    let emulator: RunningCmdbEmulator;
    let client: CmdbClient;

    before(async () => {
      emulator = await startTestEmulator();
      client = clientFor(emulator, style);
    });
    after(() => emulator.close());

    test('from now answers the newest stored event itself, with its projected detail', async () => {
      const host = emulator.state.createHost('10.1.0.1', { bk_host_name: 'web-01' });
      const result = await client.resourceWatch({ bk_resource: 'host', bk_fields: [...HOST_FIELDS, 'no_such_field'] });
      assert.equal(result.watched, true);
      assert.equal(result.events.length, 1);
      const [event] = result.events;
      assert.equal(event?.bk_event_type, 'create');
      assert.deepEqual(event?.bk_detail, {
        bk_host_id: host.bk_host_id,
        bk_host_innerip: '10.1.0.1',
        bk_host_name: 'web-01',
        no_such_field: null,
      });
      assert.deepEqual(Object.keys(event?.bk_detail ?? {}), [...HOST_FIELDS, 'no_such_field']);
      assert.equal(result.cursor, event?.bk_cursor);
    });

    test('a cursor with nothing newer is held, then answered with the placeholder carrying the chain tail', async () => {
      const { cursor } = await client.resourceWatch({ bk_resource: 'host', bk_fields: HOST_FIELDS });
      const idle = await client.resourceWatch({ bk_resource: 'host', bk_fields: HOST_FIELDS, bk_cursor: cursor });
      assert.equal(idle.watched, false);
      assert.deepEqual(idle.events, []);
      assert.equal(idle.cursor, cursor);
    });

    test('the long poll hands over events as they are created, in order', async () => {
      const { cursor: start } = await client.resourceWatch({ bk_resource: 'host', bk_fields: HOST_FIELDS });
      const creating = (async () => {
        await sleep(50);
        const web = emulator.state.createHost('10.1.0.2', { bk_host_name: 'web-02' });
        emulator.state.updateHost(web.bk_host_id, { bk_host_name: 'web-02-renamed' });
        return web;
      })();
      const seen: Array<{ type: string; name: unknown }> = [];
      let cursor = start;
      for (let call = 0; call < 50 && seen.length < 2; call += 1) {
        const result = await client.resourceWatch({ bk_resource: 'host', bk_fields: HOST_FIELDS, bk_cursor: cursor });
        cursor = result.cursor;
        seen.push(...result.events.map((event) => ({ type: event.bk_event_type, name: event.bk_detail.bk_host_name })));
      }
      await creating;
      assert.deepEqual(seen, [
        { type: 'create', name: 'web-02' },
        { type: 'update', name: 'web-02-renamed' },
      ]);
    });

    test('an unknown or expired cursor gives CmdbCursorExpiredError naming the cursor', async () => {
      const garbage = Buffer.from('1\r2\r000000000000000000000000\rinsert\r1\r1\r').toString('base64');
      const error = await client.resourceWatch({ bk_resource: 'host', bk_fields: HOST_FIELDS, bk_cursor: garbage }).catch((e: unknown) => e);
      assert.ok(error instanceof CmdbCursorExpiredError, String(error));
      assert.equal(error.code, 1103007);
      assert.equal(error.cursor, garbage);
      assert.equal(error.resource, 'host');
      assert.match(error.message, /1103007/);
      assert.ok(error.requestId, 'the request id is kept for the CMDB operators');
    });

    test('bk_start_from older than the retention window gives CmdbStartFromOutOfRangeError', async () => {
      const tooOld = emulator.state.nowSeconds() - emulator.state.retentionSeconds - 60;
      const error = await client.resourceWatch({ bk_resource: 'host', bk_fields: HOST_FIELDS, bk_start_from: tooOld }).catch((e: unknown) => e);
      assert.ok(error instanceof CmdbStartFromOutOfRangeError, String(error));
      assert.equal(error.code, 1199006);
      assert.equal(error.startFrom, tooOld);
    });

    test('a denied resource gives CmdbPermissionError with the IAM action to apply for', async () => {
      emulator.state.denyWatch('host_relation');
      try {
        const error = await client.resourceWatch({ bk_resource: 'host_relation' }).catch((e: unknown) => e);
        assert.ok(error instanceof CmdbPermissionError, String(error));
        assert.equal(error.code, 9900403);
        assert.deepEqual(error.actions, ['watch_host_relation_event']);
        assert.equal(error.permission?.system_id, 'bk_cmdb');
        assert.match(error.message, /watch_host_relation_event/);
      } finally {
        emulator.state.allowWatch('host_relation');
      }
      const allowed = await client.resourceWatch({ bk_resource: 'host_relation' });
      assert.equal(allowed.watched, true);
    });

    test('an injected 1199998 gives a plain CmdbApiError with code, message and request id', async () => {
      emulator.state.failWatch('biz', 'mongodb read timeout');
      const error = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'] }).catch((e: unknown) => e);
      assert.ok(error instanceof CmdbApiError, String(error));
      assert.equal(error.constructor, CmdbApiError);
      assert.equal(error.code, 1199998);
      assert.equal(error.cmdbMessage, 'mongodb read timeout');
      assert.ok(error.requestId);
      const next = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'] });
      assert.equal(next.watched, true, 'the injected failure is one-shot');
    });

    test('CMDB validation (host without bk_fields) comes back as 1199998 with its text', async () => {
      const error = await client.resourceWatch({ bk_resource: 'host' }).catch((e: unknown) => e);
      assert.ok(error instanceof CmdbApiError);
      assert.equal(error.code, 1199998);
      assert.equal(error.cmdbMessage, 'host event must have fields');
    });
  });
}

describe('resource_watch batching', () => {
  let emulator: RunningCmdbEmulator;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  test('200 events a call drain a 500-event backlog in order without duplicates', async () => {
    const client = clientFor(emulator, 'esb');
    const anchor = emulator.state.createHost('10.2.0.0');
    const bookmark = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'] });
    assert.equal(bookmark.events[0]?.bk_detail.bk_host_id, anchor.bk_host_id);
    const created = Array.from({ length: 500 }, (_, index) => emulator.state.createHost(`10.2.${Math.floor(index / 250)}.${(index % 250) + 1}`).bk_host_id);

    const { batches } = await drainWatch(client, { bk_resource: 'host', bk_fields: ['bk_host_id'], bk_cursor: bookmark.cursor });
    assert.deepEqual(batches.map((batch) => batch.events.length), [200, 200, 100]);
    const ids = batches.flatMap((batch) => batch.events.map((event) => event.bk_detail.bk_host_id));
    assert.deepEqual(ids, created);
    const cursors = batches.flatMap((batch) => batch.events.map((event) => event.bk_cursor));
    assert.equal(new Set(cursors).size, 500);
  });

  test('an event-type filter skips non-matching events and the idle placeholder moves to the chain tail', async () => {
    const client = clientFor(emulator, 'native');
    const { cursor } = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'] });
    const host = emulator.state.createHost('10.3.0.1');
    emulator.state.updateHost(host.bk_host_id, { bk_host_name: 'db-01' });
    emulator.state.deleteHost(host.bk_host_id);
    const deletes = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id', 'bk_host_name'], bk_event_types: ['delete'], bk_cursor: cursor });
    assert.deepEqual(deletes.events.map((event) => [event.bk_event_type, event.bk_detail]), [
      ['delete', { bk_host_id: host.bk_host_id, bk_host_name: 'db-01' }],
    ]);
    emulator.state.createHost('10.3.0.2');
    const idle = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'], bk_event_types: ['delete'], bk_cursor: deletes.cursor });
    assert.equal(idle.watched, false);
    const tail = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'] });
    assert.equal(idle.cursor, tail.cursor, 'the placeholder carries the tail so skipped events are not rescanned');
  });

  test('an empty chain answers NoEventCursor, which then replays from the oldest retained event', async () => {
    const client = clientFor(emulator, 'apigw');
    const empty = await client.resourceWatch({ bk_resource: 'plat' });
    assert.deepEqual(empty, { watched: false, events: [], cursor: NO_EVENT_CURSOR });
    const fromOldest = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id', 'bk_biz_name'], bk_cursor: NO_EVENT_CURSOR });
    assert.deepEqual(fromOldest.events[0]?.bk_detail, { bk_biz_id: 1, bk_biz_name: '资源池' });
  });
});

describe('retention window', () => {
  let now = Date.parse('2026-03-01T08:00:00Z');
  let emulator: RunningCmdbEmulator;
  before(async () => {
    emulator = await startTestEmulator({ retentionSeconds: 3600, clock: () => now });
  });
  after(() => emulator.close());

  test('a cursor older than the window expires, the last event ever written stays valid, start_from is bounded', async () => {
    const client = clientFor(emulator, 'apigw');
    emulator.state.createHost('10.4.0.1');
    const early = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'] });
    now += 60_000;
    emulator.state.createHost('10.4.0.2');
    const last = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'] });

    const inWindow = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'], bk_cursor: early.cursor });
    assert.equal(inWindow.events.length, 1);

    now += 3601_000;
    const expired = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'], bk_cursor: early.cursor }).catch((e: unknown) => e);
    assert.ok(expired instanceof CmdbCursorExpiredError, String(expired));

    const quiet = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'], bk_cursor: last.cursor });
    assert.deepEqual(quiet, { watched: false, events: [], cursor: last.cursor }, 'a quiet resource keeps its last cursor');

    const future = await client.resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'], bk_start_from: Math.floor(now / 1000) + 60 }).catch((e: unknown) => e);
    assert.ok(future instanceof CmdbStartFromOutOfRangeError, String(future));
  });
});

describe('transport and credentials', () => {
  let emulator: RunningCmdbEmulator;
  before(async () => {
    emulator = await startTestEmulator({ holdMs: 5_000 });
  });
  after(() => emulator.close());

  for (const style of ['esb', 'apigw'] as const) {
    test(`a wrong app secret over ${style} gives CmdbAuthError without the secret in it`, async () => {
      const client = new CmdbClient({ baseUrl: emulator.url, access: accessFor(style, 'wrong-secret-value'), outbound: testOutbound });
      const error = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'] }).catch((e: unknown) => e);
      assert.ok(error instanceof CmdbAuthError, String(error));
      assert.equal(error.httpStatus, 401);
      assert.doesNotMatch(`${error.message} ${JSON.stringify(error)}`, /wrong-secret-value|test-secret-do-not-leak/);
    });
  }

  test('no answer within the watch timeout gives CmdbUnavailableError', async () => {
    const client = clientFor(emulator, 'native', { watchTimeoutMs: 100 });
    const { cursor } = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'] });
    const error = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'], bk_cursor: cursor }).catch((e: unknown) => e);
    assert.ok(error instanceof CmdbUnavailableError, String(error));
    assert.match(error.message, /no answer within 100 ms/);
  });

  test('aborting a held watch rejects with the abort reason, not a CMDB error', async () => {
    const client = clientFor(emulator, 'esb');
    const { cursor } = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'] });
    const controller = new AbortController();
    const watching = client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'], bk_cursor: cursor }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    const error = await watching.catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'activity cancelled');
    assert.ok(!(error instanceof CmdbError));
  });

  test('bk_cursor together with bk_start_from is refused before any call', async () => {
    const client = clientFor(emulator, 'native');
    await assert.rejects(
      client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'], bk_cursor: 'abc', bk_start_from: 1 }),
      (error: unknown) => error instanceof RangeError && /not both/.test(error.message),
    );
  });

  test('a refused connection gives CmdbUnavailableError', async () => {
    const closed = await startTestEmulator();
    const url = closed.url;
    await closed.close();
    const client = new CmdbClient({ baseUrl: url, access: accessFor('native'), outbound: testOutbound });
    const error = await client.resourceWatch({ bk_resource: 'biz', bk_fields: ['bk_biz_id'] }).catch((e: unknown) => e);
    assert.ok(error instanceof CmdbUnavailableError, String(error));
    assert.match(error.message, /ECONNREFUSED/);
  });

  test('credentials are required on every access path', async () => {
    const esbWithoutSecret = await fetch(`${emulator.url}/api/c/compapi/v2/cc/resource_watch/`, {
      method: 'POST',
      body: JSON.stringify({ bk_app_code: TEST_AUTH.appCode, bk_username: 'x', bk_resource: 'biz', bk_fields: ['bk_biz_id'] }),
    });
    assert.equal(esbWithoutSecret.status, 401);
    const nativeWithoutUser = await fetch(`${emulator.url}/api/v3/event/watch/resource/biz`, {
      method: 'POST',
      body: JSON.stringify({ bk_fields: ['bk_biz_id'] }),
    });
    assert.equal(nativeWithoutUser.status, 401);
  });
});
