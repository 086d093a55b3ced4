import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createServer } from 'node:http';
import { HTTP_REQUESTS_TOTAL, prometheusEndpoint } from '../../api/metrics.ts';
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

  it('folds in the Temporal worker runtime metrics, and a dead runtime endpoint does not break the scrape', async () => {
    const runtime = createServer((_, res) => res.end('# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{task_queue="dr"} 100\n'));
    await new Promise<void>((resolve) => runtime.listen(0, '127.0.0.1', resolve));
    const { port } = runtime.address() as { port: number };
    const app = await makeApp({
      metrics: { registry: new Registry(), extra: [prometheusEndpoint(`http://127.0.0.1:${port}/metrics`), prometheusEndpoint('http://127.0.0.1:1/metrics')] },
    });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /temporal_worker_task_slots_available\{task_queue="dr"\} 100/);
    assert.match(res.body, /process_cpu_user_seconds_total/);
    await app.close();
    runtime.close();
  });
});
