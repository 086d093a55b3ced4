// The outbound-call policy as a user configures it: which addresses a call may reach, and that an HTTP call
// through it refuses redirects (a secret-bearing request is never replayed to a second host) and metadata addresses.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { OutboundPolicy, OutboundRedirectRefusedError, OutboundRefusedError, OutboundTimeoutError, outboundFetch, parseCidr } from '../../integrations/outbound/policy.ts';

describe('which addresses a call may reach', () => {
  const cases: Array<{ allow?: string[]; deny?: string[]; address: string; refused: RegExp | false }> = [
    { address: '169.254.169.254', refused: /metadata or link-local/ },
    { address: '169.254.0.1', refused: /metadata or link-local/ },
    { address: '::ffff:169.254.169.254', refused: /metadata or link-local/ },
    { address: 'fe80::1', refused: /metadata or link-local/ },
    { address: 'fd00:ec2::254', refused: /metadata or link-local/ },
    { allow: ['0.0.0.0/0'], address: '169.254.169.254', refused: /metadata or link-local/ },
    { address: '10.1.2.3', refused: false },
    { allow: ['127.0.0.0/8'], address: '127.0.0.1', refused: false },
    { allow: ['127.0.0.0/8'], address: '10.1.2.3', refused: /not in OPSFLOW_OUTBOUND_ALLOW/ },
    { allow: ['127.0.0.0/8'], address: '::1', refused: /not in OPSFLOW_OUTBOUND_ALLOW/ },
    { deny: ['10.0.0.0/8'], address: '10.200.0.1', refused: /in OPSFLOW_OUTBOUND_DENY/ },
    { deny: ['10.0.0.0/8'], address: '11.0.0.1', refused: false },
    { allow: ['127.0.0.0/8'], deny: ['127.0.0.2'], address: '127.0.0.2', refused: /in OPSFLOW_OUTBOUND_DENY/ },
    { allow: ['127.0.0.0/8'], deny: ['127.0.0.2'], address: '::ffff:127.0.0.1', refused: false },
  ];
  for (const { allow = [], deny = [], address, refused } of cases) {
    test(`allow [${allow}] deny [${deny}]: ${address} ${refused ? 'refused' : 'allowed'}`, () => {
      const why = new OutboundPolicy({ allow, deny }).refusal(address);
      if (refused) assert.match(why ?? '', refused);
      else assert.equal(why, undefined);
    });
  }

  test('a range that is not a CIDR is rejected, naming it', () => {
    assert.throws(() => parseCidr('10.0.0.0/33'), /"10.0.0.0\/33" has a prefix length outside 0-32/);
    assert.throws(() => parseCidr('example.com/8'), /not a CIDR range/);
    assert.throws(() => parseCidr('10.0.0.0/8x'), /prefix length/);
    assert.deepEqual(parseCidr('fd00::/8'), { network: 'fd00::', prefix: 8, family: 'ipv6' });
  });
});

interface Received {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

function serve(host: string, answer: (received: Received, respond: (status: number, headers: Record<string, string>, body?: string) => void) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body };
      received.push(entry);
      answer(entry, (status, headers, text) => res.writeHead(status, headers).end(text));
    });
  });
  return new Promise<{ origin: string; received: Received[]; server: Server }>((resolve) =>
    server.listen(0, host, () => {
      const address = server.address();
      resolve({ origin: `http://${host}:${typeof address === 'object' && address ? address.port : 0}`, received, server });
    }),
  );
}

describe('HTTP calls through the policy', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((server) => (server.closeAllConnections(), server.close())));
  const loopbackOnly = new OutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] });

  test('a redirect is refused with "redirect refused" and the secret never reaches the second host', async () => {
    const second = await serve('127.0.0.2', (_received, respond) => respond(200, { 'content-type': 'application/json' }, '{}'));
    const first = await serve('127.0.0.1', (_received, respond) => respond(307, { location: `${second.origin}/steal` }));
    servers.push(first.server, second.server);
    await assert.rejects(
      outboundFetch(loopbackOnly, `${first.origin}/api/c/compapi/v2/cc/resource_watch/`, {
        method: 'POST',
        headers: { 'x-bkapi-authorization': '{"bk_app_secret":"s3cret-app-secret"}', 'content-type': 'application/json' },
        body: '{"bk_app_secret":"s3cret-app-secret"}',
        timeoutMs: 5_000,
      }),
      (error: Error) => error instanceof OutboundRedirectRefusedError && /redirect refused/.test(error.message) && !error.message.includes('s3cret'),
    );
    assert.equal(first.received.length, 1, 'the first host was called once');
    assert.deepEqual(second.received, [], 'the second host received nothing: neither the header nor the body');
  });

  test('the metadata address is refused before any connection is made', async () => {
    await assert.rejects(outboundFetch(new OutboundPolicy({ allow: [], deny: [] }), 'http://169.254.169.254/latest/meta-data/', { timeoutMs: 5_000 }), OutboundRefusedError);
  });

  test('a name is judged by the address it resolves to', async () => {
    const target = await serve('127.0.0.1', (_received, respond) => respond(200, {}, 'ok'));
    servers.push(target.server);
    const port = new URL(target.origin).port;
    const elsewhereOnly = new OutboundPolicy({ allow: ['10.0.0.0/8'], deny: [] });
    await assert.rejects(outboundFetch(elsewhereOnly, `http://localhost:${port}/`, { timeoutMs: 5_000 }), /refused: .* is not in OPSFLOW_OUTBOUND_ALLOW/);
    assert.deepEqual(target.received, [], 'nothing reached the server');
    const answer = await outboundFetch(loopbackOnly, `http://localhost:${port}/`, { timeoutMs: 5_000 });
    assert.equal(await answer.text(), 'ok');
  });

  test('an allowed call answers a standard Response with status, headers and body', async () => {
    const target = await serve('127.0.0.1', (received, respond) => respond(201, { 'content-type': 'application/json' }, JSON.stringify({ echoed: received.body })));
    servers.push(target.server);
    const answer = await outboundFetch(loopbackOnly, `${target.origin}/hook`, { method: 'POST', body: 'hello', timeoutMs: 5_000 });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers.get('content-type'), 'application/json');
    assert.deepEqual(await answer.json(), { echoed: 'hello' });
  });

  test('a server that never answers ends the call with a timeout error', async () => {
    const silent = await serve('127.0.0.1', () => {});
    servers.push(silent.server);
    await assert.rejects(outboundFetch(loopbackOnly, `${silent.origin}/`, { timeoutMs: 300 }), OutboundTimeoutError);
  });
});
