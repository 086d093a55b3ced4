import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { bearer, makeApp, appConfig } from './helpers.ts';

const ORIGIN = 'http://127.0.0.1:8233';

// A fake codec: reverses the data bytes and flips the encoding metadata.
const reverse = (payloads: Payload[], encoding: string) =>
  payloads.map((p) => ({ metadata: { ...p.metadata, encoding: new TextEncoder().encode(encoding) }, data: p.data ? Uint8Array.from(p.data).reverse() : p.data }));
const fakeCodec = {
  encode: async (payloads: Payload[]) => reverse(payloads, 'binary/fake'),
  decode: async (payloads: Payload[]) => reverse(payloads, 'json/plain'),
};

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('codec endpoint', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await makeApp({ config: appConfig({ codec: { enabled: true, corsOrigin: ORIGIN } }), codec: fakeCodec });
  });
  after(() => app.close());

  it('round-trips payloads through encode and decode', async () => {
    const headers = { ...(await bearer('operator')), origin: ORIGIN, 'x-namespace': 'default' };
    const original = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"hello":"world"}') }] };
    const encoded = await app.inject({ method: 'POST', url: '/codec/encode', headers, payload: original });
    assert.equal(encoded.statusCode, 200);
    assert.equal(encoded.headers['access-control-allow-origin'], ORIGIN);
    const encodedBody = encoded.json();
    assert.equal(Buffer.from(encodedBody.payloads[0].metadata.encoding, 'base64').toString(), 'binary/fake');
    assert.notEqual(encodedBody.payloads[0].data, original.payloads[0]!.data);
    const decoded = await app.inject({ method: 'POST', url: '/codec/decode', headers, payload: encodedBody });
    assert.equal(decoded.statusCode, 200);
    assert.deepEqual(decoded.json(), original);
  });

  it('answers 401 without a token, with CORS headers so the browser can read it', async () => {
    const res = await app.inject({ method: 'POST', url: '/codec/decode', headers: { origin: ORIGIN }, payload: { payloads: [] } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
  });

  it('answers 403 to a viewer', async () => {
    const res = await app.inject({ method: 'POST', url: '/codec/decode', headers: await bearer('viewer'), payload: { payloads: [] } });
    assert.equal(res.statusCode, 403);
  });

  it('answers 422 for data that is not base64', async () => {
    const res = await app.inject({ method: 'POST', url: '/codec/decode', headers: await bearer('operator'), payload: { payloads: [{ data: '***' }] } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().issues.map((i: { path: string }) => i.path), ['body.payloads.0.data']);
  });

  it('answers the CORS preflight without a token', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(res.headers['access-control-allow-headers']), /content-type, authorization, x-namespace/);
    assert.match(String(res.headers['access-control-allow-methods']), /POST/);
  });

  it('gives no CORS grant to another origin', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/codec/encode', headers: { origin: 'http://evil.example' } });
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('is documented', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(doc.paths['/codec/decode'].post['x-required-role'], 'operator');
  });
});

describe('codec endpoint disabled', () => {
  it('is not served unless enabled', async () => {
    const app = await makeApp({ codec: fakeCodec });
    const res = await app.inject({ method: 'POST', url: '/codec/decode', headers: await bearer('admin'), payload: { payloads: [] } });
    assert.equal(res.statusCode, 404);
    await app.close();
  });
});
