import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { bearer, makeApp, MISSING_ID } from './helpers.ts';

describe('error mapping', () => {
  let app: FastifyInstance;
  let operator: { authorization: string };
  before(async () => {
    app = await makeApp();
    operator = await bearer('operator');
  });
  after(() => app.close());

  it('answers 422 naming every bad body field', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: operator, payload: { name: '', replicas: 'three', owner: 'nobody' } });
    assert.equal(res.statusCode, 422);
    const body = res.json();
    assert.equal(body.error, 'validation_failed');
    assert.equal(typeof body.message, 'string');
    assert.deepEqual(body.issues.map((i: { path: string }) => i.path).sort(), ['body.name', 'body.owner', 'body.replicas']);
    for (const issue of body.issues) assert.ok(issue.message.length > 0);
  });

  it('answers 422 for a missing body', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: operator });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().issues.map((i: { path: string }) => i.path), ['body']);
  });

  it('reports bad params and query together', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/widgets/not-a-uuid?limit=0', headers: operator });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().issues.map((i: { path: string }) => i.path), ['params.id', 'query.limit']);
  });

  it('coerces query strings where the schema says so', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/widgets/7d3b0e52-5c1c-4c1e-9d0a-3f1f6c2f8f10?limit=25', headers: operator });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().limit, 25);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: { ...operator, 'content-type': 'application/json' }, payload: '{"name": "web",' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'malformed_json');
  });

  it('answers 400 for an empty JSON body', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: { ...operator, 'content-type': 'application/json' }, payload: '' });
    assert.equal(res.statusCode, 400);
  });

  it('answers 400 for an unsupported content type', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: { ...operator, 'content-type': 'application/xml' }, payload: '<widget/>' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'unsupported_media_type');
  });

  it('answers 400 for a text/plain body (the API is JSON only)', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: { ...operator, 'content-type': 'text/plain' }, payload: 'hello' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'unsupported_media_type');
  });

  it('answers 400 in the same shape for an undecodable URL', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/%E0%A4%A' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'bad_request');
  });

  it('answers 404 for an unknown route', async () => {
    const res = await app.inject({ method: 'GET', url: '/no/such/thing' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, 'not_found');
  });

  it('answers 404 for a NotFoundError', async () => {
    const res = await app.inject({ method: 'GET', url: `/test/widgets/${MISSING_ID}`, headers: operator });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: 'not_found', message: `Widget ${MISSING_ID} not found.` });
  });

  it('answers 409 for a ConflictError', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: operator, payload: { name: 'taken', replicas: 1, owner: 'a@example.com' } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error, 'conflict');
  });

  it('answers 422 for an UnprocessableError', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', headers: operator, payload: { name: 'reserved', replicas: 1, owner: 'a@example.com' } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().issues, [{ path: 'body.name', message: 'is reserved' }]);
  });

  it('answers a generic 500 for unexpected errors without leaking the message', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/boom' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: 'internal_error', message: 'Internal server error.' });
    assert.doesNotMatch(res.body, /hunter2/);
  });

  it('answers 500 when a handler breaks its own response schema', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/bad-response' });
    assert.equal(res.statusCode, 500);
  });
});
