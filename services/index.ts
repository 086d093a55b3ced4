// Every domain's services built from one set of explicit dependencies, for the API, the CLI, the demo and the
// benchmarks alike; and the reconciler that brings rows a crash or a refusal left out of step back in step.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import type { Orm } from '../db/orm.ts';
import type { CloudRegistry } from '../integrations/clouds/registry.ts';
import type { SecretBox } from '../security/secrets.ts';
import type { OutboundPolicy } from '../integrations/outbound/policy.ts';
import { createCloudAccountService } from './cloud-sync/accounts.ts';
import { createCmdbSourceService } from './cmdb/sources.ts';
import { createProbeService } from './probe/probes.ts';

export interface ServiceDeps {
  config: Config;
  orm: Orm;
  temporal: Client;
  secrets: SecretBox;
  /** The cloud providers of this process, made on first use. */
  clouds: () => Promise<CloudRegistry>;
  /** The process's outbound policy: addresses it refuses are refused at create and change time. */
  outbound: OutboundPolicy;
}

export function createServices(deps: ServiceDeps) {
  const { orm, temporal, secrets, config, outbound } = deps;
  const taskQueuePrefix = config.temporal.taskQueuePrefix;
  return {
    probes: createProbeService({ orm, temporal, taskQueuePrefix }),
    cloudAccounts: createCloudAccountService({ orm, temporal, secrets, clouds: deps.clouds, taskQueuePrefix, outbound }),
    cmdbSources: createCmdbSourceService({ orm, temporal, secrets, taskQueuePrefix, retentionSeconds: config.cmdb.retentionSeconds, outbound }),
  };
}

export type Services = ReturnType<typeof createServices>;

/** How often a running API looks for rows out of step: a crash or an outage is repaired within about this long. */
const reconcileEveryMs = 60_000;

/**
 * Runs the reconciler of every domain now and then every minute, until stopped. A pass that fails (database or
 * Temporal down) is logged and retried at the next one.
 */
export function startReconciler(services: Services, logger: Logger, everyMs = reconcileEveryMs): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    for (const [domain, reconcile] of [
      ['cloud accounts', services.cloudAccounts.reconcile],
      ['CMDB sources', services.cmdbSources.reconcile],
    ] as const) {
      try {
        const { converged, refused } = await reconcile();
        if (converged + refused > 0) logger.info({ domain, converged, refused }, 'reconciled rows whose Temporal side was out of step');
      } catch (error) {
        logger.warn({ err: error, domain }, 'reconcile pass failed; retrying at the next one');
      }
    }
  };
  running = pass();
  const timer = setInterval(() => {
    running = running.then(pass);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
