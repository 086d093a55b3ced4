// Assembles the Fastify application: logging, error mapping, auth, metrics, the built-in routes
// (/healthz, /readyz, /metrics, /openapi.json, /docs, optional codec) and the domain routes passed in.
// It never listens: the caller does (`await app.listen(...)`), tests use app.inject().
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger, LoggerOptions } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../config/env.ts';
import packageJson from '../package.json' with { type: 'json' };
import { installAuth } from './auth.ts';
import type { TokenIssuer } from '../security/tokens.ts';
import { codecRoutes, registerCodec, type Codec } from './codec.ts';
import { frameworkErrorHandler, installErrorHandling } from './errors.ts';
import { healthRoutes, type ReadinessChecks } from './health.ts';
import { createLogger } from '../security/logging.ts';
import { installHttpMetrics, metricsRoute, type ExtraMetricsSource } from './metrics.ts';
import { buildOpenApiDocument, openApiRoutes, type OpenApiDocument } from './openapi.ts';
import { registerRoutes, type RouteDefinition } from './route.ts';

export interface AppDeps {
  config: Config;
  /** pino options (opsflow's redaction is added) or a ready logger (make it with createLogger() to keep redaction). */
  logger?: LoggerOptions | Logger;
  auth: TokenIssuer;
  readiness: ReadinessChecks;
  /** Domain routes. */
  routes?: RouteDefinition[];
  /** Registry for /metrics; pass the one the worker's runtime metrics go to. Default: a new registry. */
  metrics?: { registry: Registry; extra?: ExtraMetricsSource[] };
  /** Payload codec for /codec/*, served only when config.codec.enabled. */
  codec?: Codec;
}

const isLogger = (value: LoggerOptions | Logger): value is Logger => typeof (value as Logger).child === 'function';

function resolveLogger(deps: AppDeps): Logger {
  if (deps.logger && isLogger(deps.logger)) return deps.logger;
  return createLogger(deps.config.logLevel, deps.logger);
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: resolveLogger(deps), frameworkErrors: frameworkErrorHandler }) as unknown as FastifyInstance;
  installErrorHandling(app);
  installAuth(app, deps.auth);
  const registry = deps.metrics?.registry ?? new Registry();
  installHttpMetrics(app, registry);

  const routes = [...healthRoutes(deps.readiness), metricsRoute(registry, deps.metrics?.extra), ...(deps.routes ?? [])];
  const codec = deps.config.codec.enabled && deps.codec ? codecRoutes(deps.codec) : [];
  if (deps.config.codec.enabled && !deps.codec) app.log.warn('OPSFLOW_CODEC_ENDPOINT is set but no codec was given: /codec/* is not served');

  // The document describes its own routes too, so they read it lazily once it exists.
  const holder: { document?: OpenApiDocument } = {};
  const docRoutes = openApiRoutes(() => holder.document!);
  holder.document = buildOpenApiDocument([...routes, ...codec, ...docRoutes], {
    title: 'opsflow',
    version: packageJson.version,
    description: packageJson.description,
    serverUrl: deps.config.api.publicUrl,
  });

  registerRoutes(app, [...routes, ...docRoutes]);
  if (codec.length > 0) await registerCodec(app, codec, deps.config.codec.corsOrigin);
  return app;
}
