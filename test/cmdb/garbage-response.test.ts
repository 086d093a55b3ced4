// A server that answers nonsense: the client must say what is wrong, in a typed error, without leaking the secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CmdbClient } from '../../integrations/cmdb/client.ts';
import { CmdbInvalidResponseError, CmdbUnavailableError } from '../../integrations/cmdb/errors.ts';
import { accessFor } from './cmdb-fixture.ts';
import { testOutbound } from '../support/outbound.ts';

/** Scenario name (the first path segment) → status and body. */
const ANSWERS: Record<string, { status: number; body: string }> = {
  html: { status: 200, body: '<html><body>Welcome to nginx!</body></html>' },
  'not-an-envelope': { status: 200, body: JSON.stringify({ hello: 'world' }) },
  'bad-watched': { status: 200, body: JSON.stringify({ result: true, code: 0, message: 'success', data: { bk_watched: 'yes', bk_events: [] } }) },
  'no-events': { status: 200, body: JSON.stringify({ result: true, code: 0, message: 'success', data: { bk_watched: false, bk_events: [] } }) },
  'odd-event-type': {
    status: 200,
    body: JSON.stringify({
      result: true,
      code: 0,
      message: 'success',
      data: { bk_watched: true, bk_events: [{ bk_cursor: 'c1', bk_resource: 'host', bk_event_type: 'upsert', bk_detail: { bk_host_id: 1 } }] },
    }),
  },
  'bad-gateway': { status: 502, body: '<html>502 Bad Gateway</html>' },
  'echo-secret': { status: 400, body: 'rejected request {"bk_app_secret":"test-secret-do-not-leak"}' },
};

describe('garbage answers', () => {
  let server: Server;
  let baseUrl: string;

  before(async () => {
    server = createServer((req, res) => {
      const scenario = /^\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? '';
      const answer = ANSWERS[scenario] ?? { status: 404, body: 'no such scenario' };
      req.resume();
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // The scenario rides in front of the API path, as if CMDB were published under that prefix.
  const watch = (scenario: string, style: 'native' | 'apigw' = 'native') =>
    new CmdbClient({ baseUrl: `${baseUrl}/${scenario}`, access: accessFor(style), outbound: testOutbound })
      .resourceWatch({ bk_resource: 'host', bk_fields: ['bk_host_id'] })
      .catch((e: unknown) => e);

  test('a non-JSON page says so by its status and content type, and copies nothing of the page', async () => {
    const error = await watch('html');
    assert.ok(error instanceof CmdbInvalidResponseError, String(error));
    assert.equal(error.problem, 'the body is not JSON');
    assert.match(error.message, /HTTP 200 \(text\/plain\)/);
    assert.doesNotMatch(error.message, /nginx/);
  });

  test('JSON that is not a CMDB envelope names the missing field', async () => {
    const error = await watch('not-an-envelope');
    assert.ok(error instanceof CmdbInvalidResponseError, String(error));
    assert.match(error.problem, /result/);
  });

  test('a malformed data block names the path that is wrong', async () => {
    const error = await watch('bad-watched');
    assert.ok(error instanceof CmdbInvalidResponseError, String(error));
    assert.match(error.problem, /data\.bk_watched/);
    const empty = await watch('no-events');
    assert.ok(empty instanceof CmdbInvalidResponseError, String(empty));
    assert.match(empty.problem, /bk_events/);
  });

  test('an event type outside create/update/delete is refused rather than replayed', async () => {
    const error = await watch('odd-event-type');
    assert.ok(error instanceof CmdbInvalidResponseError, String(error));
    assert.match(error.problem, /bk_events\[0\]\.bk_event_type is not create, update or delete/);
    assert.doesNotMatch(error.message, /upsert/);
  });

  test('a 502 page from a proxy means unavailable, not a contract break', async () => {
    const error = await watch('bad-gateway');
    assert.ok(error instanceof CmdbUnavailableError, String(error));
    assert.equal(error.httpStatus, 502);
  });

  test('a body echoing the request leaves neither the app secret nor the body in the error', async () => {
    const error = await watch('echo-secret', 'apigw');
    assert.ok(error instanceof CmdbInvalidResponseError, String(error));
    assert.doesNotMatch(error.message, /test-secret-do-not-leak|rejected request/);
  });
});
