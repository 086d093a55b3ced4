import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { HTTP_REQUESTS_TOTAL } from '../../api/metrics.ts';
import { makeApp } from './helpers.ts';

describe('/metrics', () => {
  it('exposes process metrics and counts requests by method, route and status', async () => {
    const registry = new Registry();
    const app = await makeApp({ metrics: { registry } });
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.inject({ method: 'GET', url: '/no/such/page/12345' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /process_cpu_user_seconds_total/);
    assert.match(res.body, new RegExp(`${HTTP_REQUESTS_TOTAL}\\{method="GET",route="/healthz",status="200"\\} 1`));
    assert.match(res.body, /opsflow_http_request_duration_seconds_bucket\{.*route="\/healthz"/);
    assert.match(res.body, /route="unmatched",status="404"/);
    assert.doesNotMatch(res.body, /12345/, 'raw URLs are not labels');
    await app.close();
  });

  it('can build two apps on one registry', async () => {
    const registry = new Registry();
    const first = await makeApp({ metrics: { registry } });
    const second = await makeApp({ metrics: { registry } });
    await Promise.all([first.close(), second.close()]);
  });
});
