// The outbound policy in a deployment that allows loopback only (OPSFLOW_OUTBOUND_ALLOW=127.0.0.0/8): addresses it
// refuses are refused when a user configures them, with a 422 naming the field, and a CMDB that answers a redirect
// is stopped there, its app secret never reaching the host the redirect names.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { waitFor } from '../support/wait.ts';

interface Issue {
  path: string;
  message: string;
}

/** An HTTP server on `host` that answers every request with `answer` and keeps each request's body. */
async function serve(host: string, answer: (respond: (status: number, headers: Record<string, string>) => void) => void) {
  const received: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(body);
      answer((status, headers) => response.writeHead(status, headers).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { origin: `http://${host}:${(server.address() as AddressInfo).port}`, received, server };
}

describe('addresses refused by the outbound policy', () => {
  let stack: DomainStack;
  const servers: Server[] = [];

  const source = (overrides: Record<string, unknown> = {}) => ({
    name: `cmdb-${randomUUID()}`,
    // Never dialled unless the test starts a server there.
    baseUrl: 'http://127.0.0.1:9/',
    apiStyle: 'esb',
    appCode: 'opsflow',
    appSecret: 'app-secret-value',
    username: 'admin',
    resources: [{ resource: 'biz', mode: 'realtime', fields: ['bk_biz_id', 'bk_biz_name'] }],
    sinks: [{ type: 'topology' }],
    ...overrides,
  });

  before(async () => {
    stack = await startDomainStack({ queues: ['cmdb'], workers: false, env: { OPSFLOW_OUTBOUND_ALLOW: '127.0.0.0/8' } });
  });

  after(async () => {
    await stack?.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a webhook pointed at the instance metadata address is refused with a 422 naming the field', async () => {
    const answer = await stack.call('POST', '/v1/cmdb/sources', source({
      sinks: [{ type: 'topology' }, { type: 'webhook', url: 'http://169.254.169.254/latest/meta-data/', secret: 'webhook-secret' }],
    }));
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    const issues = answer.body.issues as Issue[];
    assert.deepEqual(issues.map((issue) => issue.path), ['body.sinks.1.url']);
    assert.match(issues[0]!.message, /169\.254\.169\.254 is a cloud metadata or link-local address/);
    assert.equal((await stack.call('GET', '/v1/cmdb/sources')).body.sources.length, 0, 'nothing was written');
  });

  test('a CMDB base URL and a cloud endpoint outside OPSFLOW_OUTBOUND_ALLOW are refused with a 422 naming each field', async () => {
    // IP literals: judged without a lookup and never dialled.
    const cmdb = await stack.call('POST', '/v1/cmdb/sources', source({ baseUrl: 'http://10.20.30.40:8080/' }));
    assert.equal(cmdb.status, 422, JSON.stringify(cmdb.body));
    assert.deepEqual((cmdb.body.issues as Issue[]).map((issue) => issue.path), ['body.baseUrl']);
    assert.match(cmdb.body.message, /10\.20\.30\.40 is not in OPSFLOW_OUTBOUND_ALLOW/);

    const account = {
      name: `aws-${randomUUID()}`,
      provider: 'aws',
      credentials: { accessKeyId: 'AKIAOUTBOUNDTEST0001', secretAccessKey: randomBytes(30).toString('base64url') },
      endpoint: 'http://10.20.30.40:5000',
      resourceTypes: ['instance'],
      syncIntervalMinutes: 0,
      validate: false,
    };
    const refused = await stack.call('POST', '/v1/cloud-accounts', account);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.deepEqual((refused.body.issues as Issue[]).map((issue) => issue.path), ['body.endpoint']);
    assert.equal((await stack.call('GET', '/v1/cloud-accounts')).body.items.length, 0, 'nothing was written');

    const inside = await stack.call('POST', '/v1/cloud-accounts', { ...account, endpoint: 'http://127.0.0.1:9' });
    assert.equal(inside.status, 201, `an endpoint inside the allowed range is accepted: ${JSON.stringify(inside.body)}`);
    const patched = await stack.call('PATCH', `/v1/cloud-accounts/${inside.body.id}`, { endpoint: '10.20.30.40:5000', validate: false });
    assert.equal(patched.status, 422, JSON.stringify(patched.body));
    assert.deepEqual((patched.body.issues as Issue[]).map((issue) => issue.path), ['body.endpoint']);
  });

  test('a CMDB answering a redirect fails with "redirect refused" and its secret never reaches the second host', async () => {
    const appSecret = `cmdb-secret-${randomBytes(12).toString('hex')}`;
    const second = await serve('127.0.0.2', (respond) => respond(200, { 'content-type': 'application/json' }));
    const first = await serve('127.0.0.1', (respond) => respond(307, { location: `${second.origin}/api/c/compapi/v2/cc/resource_watch/` }));
    servers.push(first.server, second.server);

    const created = await stack.call('POST', '/v1/cmdb/sources', source({ baseUrl: first.origin, appSecret }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await stack.startWorkers();
    const status = await waitFor('the biz watcher to report the refused redirect', async () => {
      const answer = await stack.call('GET', `/v1/cmdb/sources/${created.body.id}/status`, undefined, 'viewer');
      const biz = (answer.body.resources as Array<{ resource: string; state: string; stateDetail: string | null }>).find((entry) => entry.resource === 'biz');
      return biz?.state === 'failed' ? biz : undefined;
    });
    assert.match(status.stateDetail ?? '', /redirect refused/);
    assert.ok(first.received.some((body) => body.includes(appSecret)), 'the configured CMDB got the call, with its secret');
    assert.deepEqual(second.received, [], 'the host the redirect named received nothing');
    assert.ok(!stack.log().includes(appSecret), 'the secret is not in the API log');
  });
});
