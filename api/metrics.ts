// Prometheus metrics: default process metrics plus an HTTP request counter and duration histogram
// (labels method, route, status), all in a registry the caller owns so other components can add to it.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import { defineRoute, type RouteDefinition } from './route.ts';

export const HTTP_REQUESTS_TOTAL = 'opsflow_http_requests_total';
export const HTTP_REQUEST_DURATION_SECONDS = 'opsflow_http_request_duration_seconds';
const LABELS = ['method', 'route', 'status'] as const;

function httpMetrics(registry: Registry) {
  // Reuse the metrics when the registry already has them (several apps built against one registry, e.g. in tests).
  const requests =
    (registry.getSingleMetric(HTTP_REQUESTS_TOTAL) as Counter<(typeof LABELS)[number]> | undefined) ??
    new Counter({ name: HTTP_REQUESTS_TOTAL, help: 'HTTP requests answered by the opsflow API.', labelNames: LABELS, registers: [registry] });
  const duration =
    (registry.getSingleMetric(HTTP_REQUEST_DURATION_SECONDS) as Histogram<(typeof LABELS)[number]> | undefined) ??
    new Histogram({
      name: HTTP_REQUEST_DURATION_SECONDS,
      help: 'Time to answer HTTP requests, in seconds.',
      labelNames: LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return { requests, duration };
}

/** Registers default process metrics (once per registry) and the hook that counts and times every response. */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  const { requests, duration } = httpMetrics(registry);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the raw URL, keeps label cardinality bounded.
    const labels = { method: request.method, route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'), status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}

/** Metrics text from elsewhere in the process (the Temporal worker runtime's Prometheus endpoint), appended as is. */
export type ExtraMetricsSource = () => Promise<string>;

/** Reads a Prometheus endpoint; an unreachable one contributes nothing rather than failing the scrape. */
export function prometheusEndpoint(url: string): ExtraMetricsSource {
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return response.ok ? await response.text() : '';
    } catch {
      return '';
    }
  };
}

export function metricsRoute(registry: Registry, extra: ExtraMetricsSource[] = []): RouteDefinition {
  return defineRoute({
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics',
    description: 'Process metrics, HTTP request metrics and the Temporal worker runtime metrics, in Prometheus text format.',
    tags: ['operations'],
    auth: 'public',
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    response: { 200: z.string() },
    handler: async ({ reply }) => {
      reply.type(registry.contentType);
      const parts = [await registry.metrics(), ...(await Promise.all(extra.map((source) => source())))];
      return parts.filter(Boolean).join('\n');
    },
  });
}
