import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createTokenIssuer, InvalidTokenError, roleAtLeast } from '../../security/tokens.ts';
import { bearer, issuer, makeApp } from './helpers.ts';

describe('token issuer', () => {
  it('round-trips subject and role', async () => {
    const token = await issuer.issue({ subject: 'alice', role: 'approver' });
    assert.deepEqual(await issuer.verify(token), { subject: 'alice', role: 'approver' });
  });

  it('rejects tokens signed with another secret', async () => {
    const other = createTokenIssuer(new TextEncoder().encode('another-secret-that-is-32-bytes-or-more'));
    const token = await other.issue({ subject: 'mallory', role: 'admin' });
    await assert.rejects(issuer.verify(token), InvalidTokenError);
  });

  it('refuses short secrets', () => {
    assert.throws(() => createTokenIssuer(new TextEncoder().encode('short')), /at least 32 bytes/);
  });

  it('orders roles viewer < operator < approver < admin', () => {
    assert.equal(roleAtLeast('operator', 'viewer'), true);
    assert.equal(roleAtLeast('operator', 'approver'), false);
    assert.equal(roleAtLeast('admin', 'approver'), true);
  });
});

describe('route authorisation', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await makeApp();
  });
  after(() => app.close());

  const create = { name: 'web', replicas: 2, owner: 'ops@example.com' };

  it('answers 401 with WWW-Authenticate when no token is sent', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: create });
    assert.equal(res.statusCode, 401);
    assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    assert.equal(res.json().error, 'unauthorized');
  });

  it('answers 401 for a malformed token', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: create, headers: { authorization: 'Bearer not.a.jwt' } });
    assert.equal(res.statusCode, 401);
    assert.match(String(res.headers['www-authenticate']), /invalid_token/);
  });

  it('answers 401 for a non-bearer scheme', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: create, headers: { authorization: 'Basic YTpi' } });
    assert.equal(res.statusCode, 401);
  });

  it('answers 401 for an expired token', async () => {
    const token = await issuer.issue({ subject: 'old', role: 'admin', expiresIn: -60 });
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: create, headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 401);
    assert.match(res.json().message, /expired/);
  });

  it('checks the token before parsing the body', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: '{not json', headers: { 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 401);
  });

  it('answers 403 naming the required role when the role is too low', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: create, headers: await bearer('viewer') });
    assert.equal(res.statusCode, 403);
    const body = res.json();
    assert.equal(body.error, 'forbidden');
    assert.equal(body.requiredRole, 'operator');
    assert.match(body.message, /operator/);
  });

  it('lets a higher role through (admin on an operator route)', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/widgets', payload: create, headers: await bearer('admin') });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { id: 'w1', name: 'web', replicas: 2 }, 'fields outside the response schema are stripped');
  });

  it('answers 200 for admin on an admin route with no body (204)', async () => {
    const denied = await app.inject({ method: 'DELETE', url: '/test/everything', headers: await bearer('approver') });
    assert.equal(denied.statusCode, 403);
    const res = await app.inject({ method: 'DELETE', url: '/test/everything', headers: await bearer('admin') });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
  });

  it('gives the handler the caller', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/widgets/7d3b0e52-5c1c-4c1e-9d0a-3f1f6c2f8f10', headers: await bearer('viewer', 'bob') });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().viewer, 'bob');
  });

  it('leaves public routes open', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
  });
});
