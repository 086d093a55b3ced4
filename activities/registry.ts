// Which activities a worker on each task queue registers: every queue answers probes, plus the factories of its
// domain. Adding a domain adds its line to ACTIVITY_FACTORIES; workers/ does not change.
import type { Config } from '../config/env.ts';
import type { Orm } from '../db/orm.ts';
import type { CloudRegistry } from '../integrations/clouds/registry.ts';
import type { SecretBox } from '../security/secrets.ts';
import type { OutboundPolicy } from '../integrations/outbound/policy.ts';
import type { TaskQueueName } from '../contracts/task-queues.ts';
import { createProbeActivities } from './probe.ts';
import { createCloudSyncActivities } from './cloud-sync/index.ts';
import { createCmdbWatchActivities } from './cmdb/watch.ts';
import { createCmdbReplayActivities } from './cmdb/replay.ts';

/** What activity factories get: the process's dependencies, built once per worker process. */
export interface ActivityContext {
  config: Config;
  orm: Orm;
  secrets: SecretBox;
  workerIdentity: string;
  clouds: CloudRegistry;
  /** Every call to an address a user configured (CMDB, webhooks; cloud endpoints through `clouds`) goes through it. */
  outbound: OutboundPolicy;
}

export type Activities = Record<string, (...args: never[]) => Promise<unknown>>;
type ActivityFactory = (context: ActivityContext) => Activities;

export const ACTIVITY_FACTORIES: Record<TaskQueueName, readonly ActivityFactory[]> = {
  'cloud-sync': [
    ({ orm, clouds, secrets, config }) => createCloudSyncActivities({ orm, clouds, secrets, pageSize: config.clouds.syncPageSize }),
  ],
  cmdb: [
    ({ orm, secrets, config, outbound }) => createCmdbWatchActivities({ orm, secrets, config, outbound }),
    ({ orm, secrets, outbound }) => createCmdbReplayActivities({ orm, secrets, outbound }),
  ],
  deploy: [],
  dr: [],
};

export function activitiesFor(queue: TaskQueueName, context: ActivityContext): Activities {
  const probe: Activities = createProbeActivities({ orm: context.orm, workerIdentity: context.workerIdentity });
  return Object.assign(probe, ...ACTIVITY_FACTORIES[queue].map((factory) => factory(context)));
}
