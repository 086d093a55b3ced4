// `opsflow worker --queue Q`: a production worker process for one task queue (or all of them).
import { loadConfig } from '../config/env.ts';
import { ALL_TASK_QUEUES, type TaskQueueName } from '../contracts/task-queues.ts';
import { databaseUrl, openKeyring } from '../workers/local-state.ts';
import { shutdownOnSignals } from './signals.ts';
import { UsageError, type CliCommand } from './command.ts';
import { startingComponent } from '../scripts/stack/start-error.ts';

export function parseQueues(value: unknown): TaskQueueName[] {
  if (value === 'all' || value === undefined) return [...ALL_TASK_QUEUES];
  const names = String(value).split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(ALL_TASK_QUEUES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`unknown queue ${unknown.join(', ')}; use ${ALL_TASK_QUEUES.join('|')}|all`);
  return names as TaskQueueName[];
}

export const workerCommand: CliCommand = {
  usage: `opsflow worker --queue ${ALL_TASK_QUEUES.join('|')}|all`,
  options: { queue: { type: 'string' } },
  optionHelp: { queue: 'task queue(s) to poll, comma-separated, or all (default all)' },
  async run(values) {
    const queues = parseQueues(values.queue);
    const config = loadConfig();
    // Loaded after the arguments and the environment are known to be good: they pull in the whole worker stack.
    const [{ createLogger }, { createOrm, migrateToLatest }, { connectWorkerConnection, temporalTarget }, { createWorkers, runWorkersUntil }, { installTemporalRuntime }] =
      await Promise.all([
        import('../security/logging.ts'),
        import('../db/orm.ts'),
        import('../temporal/connection.ts'),
        import('../workers/worker.ts'),
        import('../workers/telemetry.ts'),
      ]);
    const logger = createLogger(config.logLevel);
    installTemporalRuntime(logger, config.workerMetricsPort);
    const orm = await createOrm(databaseUrl(config));
    await migrateToLatest(orm);
    const { connection, workers } = await startingComponent('worker', `opsflow worker --queue ${queues.join(',')}`, async () => {
      const connection = await connectWorkerConnection(config);
      return { connection, workers: await createWorkers({ config, connection, keyring: openKeyring(config), orm }, queues) };
    });
    const stop = new AbortController();
    shutdownOnSignals(() => stop.abort());
    logger.info({ queues, temporal: temporalTarget(config).address }, 'workers running');
    await runWorkersUntil(workers, stop.signal);
    await connection.close();
    await orm.close();
    logger.info('workers stopped');
    return 0;
  },
};
