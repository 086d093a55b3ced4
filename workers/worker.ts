// Builds the Temporal workers of one process: one Worker per task queue it serves, all sharing one workflow
// bundle, one database and the same data converter as the API.
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { Config } from '../config/env.ts';
import type { Keyring } from '../security/keyring.ts';
import { createSecretBox } from '../security/secrets.ts';
import type { Orm } from '../db/orm.ts';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../temporal/connection.ts';
import type { CloudRegistry } from '../integrations/clouds/registry.ts';
import { activitiesFor, type ActivityContext } from '../activities/registry.ts';
import { openCloudRegistry } from './runtime.ts';
import { OutboundPolicy } from '../integrations/outbound/policy.ts';
import { taskQueueName, type TaskQueueName } from '../contracts/task-queues.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  keyring: Keyring;
  orm: Orm;
  /** Shared bundle; built once per process when omitted. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /** Cloud providers; built from OPSFLOW_CLOUD_PROVIDERS / OPSFLOW_CLOUD_PLUGINS when omitted. */
  clouds?: CloudRegistry;
  /** The outbound policy; built from OPSFLOW_OUTBOUND_ALLOW / _DENY when omitted. */
  outbound?: OutboundPolicy;
}

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => process.stderr.write(`workflow bundle: ${message}\n`),
  error: (message: string) => process.stderr.write(`workflow bundle: ${message}\n`),
};

export async function createWorkers(deps: WorkerDeps, queues: readonly TaskQueueName[]): Promise<Worker[]> {
  const workflowBundle = deps.workflowBundle ?? (await bundleWorkflows());
  const identity = deps.identity ?? `opsflow-worker@${hostname()}:${process.pid}`;
  const dataConverter = createDataConverter(deps.keyring);
  const outbound = deps.outbound ?? new OutboundPolicy(deps.config.outbound);
  const clouds = deps.clouds ?? (await openCloudRegistry(deps.config, outbound));
  const context: ActivityContext = { config: deps.config, orm: deps.orm, secrets: createSecretBox(deps.keyring), workerIdentity: identity, clouds, outbound };
  return Promise.all(
    queues.map((queue) => {
      const taskQueue = taskQueueName(deps.config.temporal.taskQueuePrefix, queue);
      return Worker.create({
        connection: deps.connection,
        namespace: deps.config.temporal.namespace,
        taskQueue,
        workflowBundle,
        activities: activitiesFor(queue, context),
        dataConverter,
        identity: `${identity}/${taskQueue}`,
        shutdownGraceTime: '10 seconds',
      });
    }),
  );
}

/** Runs the workers until `signal` aborts, then shuts them down gracefully (in-flight activities finish). */
export async function runWorkersUntil(workers: Worker[], signal: AbortSignal): Promise<void> {
  const onAbort = () => workers.forEach((worker) => worker.getState() === 'RUNNING' && worker.shutdown());
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(workers.map((worker) => worker.run()));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
