// /metrics as an operator scrapes it after real traffic: request counts and latency by route and status, process
// metrics, and the Temporal runtime series of a real `opsflow worker` process folded in (as `opsflow up` does).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL } from '../../api/metrics.ts';
import { freePort } from '../../scripts/free-port.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';
import { makeApp } from './helpers.ts';

/** The value of one series in Prometheus text, or undefined when the scrape does not have it. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] === name && wanted.every((pair) => (match[2] ?? '').split(',').includes(pair))) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let stack: DomainStack;
  let worker: WorkerProcess;
  let workerMetricsUrl: string;

  before(async () => {
    stack = await startDomainStack({ queues: [], workers: false });
    const port = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = startWorkerProcess({ ...stack.env, OPSFLOW_WORKER_METRICS_PORT: String(port) }, 'dr');
  });

  after(async () => {
    await worker?.stop();
    await stack?.close();
  });

  it('counts and times requests by method, route and status, and keeps raw URLs out of the labels', async () => {
    const api = await stack.apiWith({});
    try {
      for (let i = 0; i < 3; i += 1) await api.app.inject({ method: 'GET', url: '/healthz' });
      const refused = await api.app.inject({ method: 'POST', url: '/v1/probes', payload: { queue: 'dr' } });
      assert.equal(refused.statusCode, 401);
      await api.app.inject({ method: 'GET', url: '/no/such/page/12345' });
      const res = await api.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.equal(sample(res.body, HTTP_REQUESTS_TOTAL, { method: 'GET', route: '/healthz', status: '200' }), 3);
      assert.equal(sample(res.body, HTTP_REQUESTS_TOTAL, { method: 'POST', route: '/v1/probes', status: '401' }), 1, 'refusals are counted by status');
      assert.equal(sample(res.body, HTTP_REQUESTS_TOTAL, { route: 'unmatched', status: '404' }), 1);
      assert.equal(sample(res.body, `${HTTP_REQUEST_DURATION_SECONDS}_count`, { method: 'GET', route: '/healthz', status: '200' }), 3);
      assert.equal(sample(res.body, `${HTTP_REQUEST_DURATION_SECONDS}_bucket`, { route: '/healthz', status: '200', le: '+Inf' }), 3);
      assert.doesNotMatch(res.body, /12345/, 'raw URLs are not labels');
      assert.ok(sample(res.body, 'process_resident_memory_bytes', {})! > 0);
      assert.ok(sample(res.body, 'process_cpu_user_seconds_total', {})! > 0);
    } finally {
      await api.close();
    }
  });

  it('two apps on one registry count into the same series', async () => {
    const registry = new Registry();
    const [first, second] = [await makeApp({ metrics: { registry } }), await makeApp({ metrics: { registry } })];
    try {
      await first.inject({ method: 'GET', url: '/healthz' });
      await second.inject({ method: 'GET', url: '/healthz' });
      const res = await second.inject({ method: 'GET', url: '/metrics' });
      assert.equal(sample(res.body, HTTP_REQUESTS_TOTAL, { route: '/healthz', status: '200' }), 2);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('folds in the worker process\'s Temporal runtime series once it has run a workflow', async () => {
    const api = await stack.apiWith({ workerMetricsUrl });
    try {
      const created = await api.call('POST', '/v1/probes', { queue: 'dr' }, 'operator');
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await stack.client.workflow.getHandle(created.body.workflowId).result();
      const res = await api.app.inject({ method: 'GET', url: '/metrics' });
      const queue = `${stack.config.temporal.taskQueuePrefix}dr`;
      assert.equal(sample(res.body, HTTP_REQUESTS_TOTAL, { method: 'POST', route: '/v1/probes', status: '202' }), 1);
      assert.ok(sample(res.body, 'temporal_worker_task_slots_available', { task_queue: queue, worker_type: 'ActivityWorker' })! > 0, res.body.slice(0, 3000));
      assert.ok(sample(res.body, 'temporal_activity_execution_latency_count', { task_queue: queue, activity_type: 'recordProbeAnswer' })! >= 1);
      assert.ok(sample(res.body, 'temporal_workflow_completed', { task_queue: queue, workflow_type: 'probeWorkflow' })! >= 1);
    } finally {
      await api.close();
    }
  });

  it('a worker metrics endpoint that does not answer leaves the API\'s own series in the scrape', async () => {
    const api = await stack.apiWith({ workerMetricsUrl: `http://127.0.0.1:${await freePort()}/metrics` });
    try {
      await api.app.inject({ method: 'GET', url: '/healthz' });
      const res = await api.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.ok(sample(res.body, HTTP_REQUESTS_TOTAL, { route: '/healthz', status: '200' })! >= 1);
      assert.equal(sample(res.body, 'temporal_worker_task_slots_available', {}), undefined);
    } finally {
      await api.close();
    }
  });
});
