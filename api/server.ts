// opsflow's HTTP API as deployed: buildApp() with the real readiness checks and every domain's routes.
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../config/env.ts';
import type { Orm } from '../db/orm.ts';
import type { SecretBox } from '../security/secrets.ts';
import { buildApp } from './app.ts';
import type { TokenIssuer } from '../security/tokens.ts';
import type { Codec } from './codec.ts';
import { prometheusEndpoint } from './metrics.ts';
import type { RouteDefinition } from './route.ts';
import { probeRoutes } from './routes/probes.ts';
import { cloudAccountRoutes } from './routes/cloud-accounts.ts';
import { cloudInventoryRoutes } from './routes/cloud-inventory.ts';
import { cmdbSourceRoutes } from './routes/cmdb-sources.ts';
import { cmdbEventRoutes } from './routes/cmdb-events.ts';
import { createCloudRegistry, type CloudRegistry } from '../integrations/clouds/registry.ts';
import { createServices, type Services } from '../services/index.ts';
import { OutboundPolicy } from '../integrations/outbound/policy.ts';

export interface ApiServerDeps {
  config: Config;
  orm: Orm;
  temporal: Client;
  tokens: TokenIssuer;
  /** Seals and opens secrets at rest (credentials, app secrets) bound to their record. */
  secrets: SecretBox;
  codec: Codec;
  logger?: Logger;
  registry?: Registry;
  /** Prometheus endpoint of this process's Temporal runtime, folded into /metrics. */
  workerMetricsUrl?: string;
  /** Cloud providers of this process (workers/runtime.ts builds it from the config); the built-ins when omitted. */
  clouds?: CloudRegistry;
  /** The process's outbound policy (workers/runtime.ts builds it); built from the config when omitted. */
  outbound?: OutboundPolicy;
  /** The domain services, when the caller shares them (with its reconciler, its demo); built from the deps above otherwise. */
  services?: Services;
}

/** The registry handed to the cloud routes: the process's own, or the built-ins, made on first use. */
function cloudRegistryOf(deps: ApiServerDeps, outbound: OutboundPolicy): () => Promise<CloudRegistry> {
  let registry: Promise<CloudRegistry> | undefined = deps.clouds ? Promise.resolve(deps.clouds) : undefined;
  return () => (registry ??= createCloudRegistry({ outbound }));
}

/** Every domain route of the API, in the order the OpenAPI document lists them. */
export function domainRoutes(deps: ApiServerDeps): RouteDefinition[] {
  const outbound = deps.outbound ?? new OutboundPolicy(deps.config.outbound);
  const clouds = cloudRegistryOf(deps, outbound);
  const services = deps.services ?? createServices({ config: deps.config, orm: deps.orm, temporal: deps.temporal, secrets: deps.secrets, clouds, outbound });
  return [
    ...probeRoutes(services.probes),
    ...cloudAccountRoutes(services.cloudAccounts),
    ...cloudInventoryRoutes({ orm: deps.orm, clouds }),
    ...cmdbSourceRoutes(services.cmdbSources),
    ...cmdbEventRoutes({ orm: deps.orm }),
  ];
}

export function buildApiServer(deps: ApiServerDeps): Promise<FastifyInstance> {
  return buildApp({
    config: deps.config,
    logger: deps.logger,
    auth: deps.tokens,
    codec: deps.codec,
    metrics: {
      registry: deps.registry ?? new Registry(),
      extra: deps.workerMetricsUrl ? [prometheusEndpoint(deps.workerMetricsUrl)] : [],
    },
    readiness: {
      async database() {
        const status = await deps.orm.checkConnection();
        if (!status.ok) throw new Error(status.reason ?? 'database check failed');
      },
      async temporal() {
        // A deadline well inside the readiness timeout: the client retries an unreachable server with backoff and
        // only gives up at the first retry after the deadline, so the call must settle (no retry timer left) before
        // /readyz answers; a retry firing after the connection closed would throw in a timer.
        const connection = deps.temporal.connection;
        await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
      },
    },
    routes: domainRoutes(deps),
  });
}
