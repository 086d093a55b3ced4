import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from './helpers.ts';

describe('health endpoints', () => {
  it('/healthz answers 200 without a token', async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
    await app.close();
  });

  it('/readyz answers 200 when both dependencies answer', async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready', checks: { database: 'ok', temporal: 'ok' }, failed: [] });
    await app.close();
  });

  it('/readyz answers 503 naming the failed dependency, without its error text', async () => {
    const app = await makeApp({
      readiness: {
        database: async () => {},
        temporal: async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.7:7233');
        },
      },
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'not_ready', checks: { database: 'ok', temporal: 'failed' }, failed: ['temporal'] });
    assert.doesNotMatch(res.body, /ECONNREFUSED/);
    await app.close();
  });
});
