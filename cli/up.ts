// `opsflow up` (what `npm start` runs): the whole embedded stack in one process tree — PostgreSQL and the
// Temporal dev server unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere — then migrations, one worker
// per task queue, the API, an admin token and the demo. SIGINT/SIGTERM stop everything it started.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/env.ts';
import { statePaths } from '../config/paths.ts';
import { ALL_TASK_QUEUES } from '../contracts/task-queues.ts';
import { createLogger } from '../security/logging.ts';
import { buildApiServer } from '../api/server.ts';
import { migrateToLatest } from '../db/orm.ts';
import { startEmbeddedPostgres } from '../scripts/stack/postgres.ts';
import { startTemporalDevServer } from '../scripts/stack/temporal-dev.ts';
import { startingComponent } from '../scripts/stack/start-error.ts';
import { EncryptionCodec } from '../temporal/codec.ts';
import { connectWorkerConnection, temporalTarget } from '../temporal/connection.ts';
import { bundleWorkflows, createWorkers, runWorkersUntil } from '../workers/worker.ts';
import { openRuntime } from '../workers/runtime.ts';
import { installTemporalRuntime } from '../workers/telemetry.ts';
import { createServices, startReconciler } from '../services/index.ts';
import { seedDemo } from '../workers/demo.ts';
import { startCmdbDemo } from '../workers/demo-cmdb.ts';
import { shutdownOnSignals } from './signals.ts';
import type { CliCommand } from './command.ts';

export const upCommand: CliCommand = {
  usage: 'opsflow up',
  options: {},
  optionHelp: {},
  async run() {
    const config = loadConfig();
    const paths = statePaths(config.home);
    mkdirSync(paths.home, { recursive: true });
    const logger = createLogger(config.logLevel);
    const stop = new AbortController();
    shutdownOnSignals(() => stop.abort());
    const cleanups: Array<() => Promise<unknown>> = [];
    const started = (what: string) => {
      if (stop.signal.aborted) throw new StartupInterrupted(what);
    };

    try {
      const workerMetricsUrl = installTemporalRuntime(logger, config.workerMetricsPort);
      // PostgreSQL, Temporal and the workflow bundle do not depend on each other: start them side by side.
      const startPostgres = async (): Promise<string | undefined> => {
        if (config.database.url) return undefined;
        logger.info({ port: config.database.embeddedPort, dir: paths.postgresDir }, 'starting embedded PostgreSQL');
        const postgres = await startEmbeddedPostgres({
          dataDir: paths.postgresDir,
          port: config.database.embeddedPort,
          database: 'opsflow',
          onLog: (line) => logger.debug({ component: 'postgres' }, line),
        });
        cleanups.push(() => postgres.stop());
        return postgres.url;
      };
      const startTemporal = async (): Promise<string | undefined> => {
        if (config.temporal.address) return undefined;
        logger.info({ port: config.temporal.devPort, ui: config.temporal.uiPort }, 'starting Temporal dev server');
        const temporal = await startTemporalDevServer({
          executable: process.env.OPSFLOW_TEMPORAL_BIN ?? 'temporal',
          port: config.temporal.devPort,
          uiPort: config.temporal.uiPort,
          dbFile: paths.temporalDb,
          namespace: config.temporal.namespace,
          uiCodecEndpoint: config.codec.enabled ? `http://127.0.0.1:${config.api.port}/codec` : undefined,
          onLog: (line) => logger.debug({ component: 'temporal' }, line),
        });
        cleanups.push(() => temporal.stop());
        return temporal.uiUrl;
      };
      // allSettled, so that whatever did start is registered for cleanup before a failure is reported.
      const [postgresStart, temporalStart, bundleStart] = await Promise.allSettled([startPostgres(), startTemporal(), bundleWorkflows()]);
      const failure = [postgresStart, temporalStart, bundleStart].find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      const databaseUrl = (postgresStart as PromiseFulfilledResult<string | undefined>).value;
      const uiUrl = (temporalStart as PromiseFulfilledResult<string | undefined>).value;
      const workflowBundle = (bundleStart as PromiseFulfilledResult<Awaited<ReturnType<typeof bundleWorkflows>>>).value;
      started('PostgreSQL and Temporal');

      const runtime = await openRuntime(config, { databaseUrl });
      cleanups.push(() => runtime.close());
      const applied = await migrateToLatest(runtime.orm);
      if (applied.length) logger.info({ applied }, 'migrations applied');
      started('migrations');

      const workers = await startingComponent('worker', `in-process workers for task queues ${ALL_TASK_QUEUES.join(', ')}`, async () => {
        const connection = await connectWorkerConnection(config);
        cleanups.push(() => connection.close());
        return createWorkers({ config, connection, keyring: runtime.keyring, orm: runtime.orm, workflowBundle }, ALL_TASK_QUEUES);
      });
      const running = runWorkersUntil(workers, stop.signal);
      cleanups.push(() => running);
      started('workers');

      const services = createServices({ ...runtime, clouds: async () => runtime.clouds });
      const reconciler = startReconciler(services, logger);
      cleanups.push(() => reconciler.stop());
      const app = await buildApiServer({ ...runtime, services, codec: new EncryptionCodec(runtime.keyring), logger, workerMetricsUrl });
      await app.listen({ host: config.api.host, port: config.api.port });
      cleanups.push(() => app.close());
      started('API');

      const adminToken = await runtime.tokens.issue({ subject: 'admin', role: 'admin', expiresIn: '30d' });
      writeFileSync(paths.adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
      if (config.demo) await seedDemo(services, logger);
      if (config.cmdb.emulatorPort !== 0) {
        const cmdbDemo = await startCmdbDemo({ port: config.cmdb.emulatorPort, sources: config.demo ? services.cmdbSources : null, logger });
        cleanups.push(() => cmdbDemo.close());
      }

      const apiUrl = config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`;
      process.stdout.write(
        [
          '',
          'opsflow is up',
          `  API            ${apiUrl}`,
          `  API docs       ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)`,
          `  Temporal UI    ${uiUrl ?? `(external Temporal at ${temporalTarget(config).address})`}`,
          `  Temporal gRPC  ${temporalTarget(config).address}  namespace ${config.temporal.namespace}`,
          `  admin token    ${adminToken}`,
          `                 (also in ${paths.adminTokenFile}; try: curl -H "Authorization: Bearer $(cat ${paths.adminTokenFile})" ${apiUrl}/readyz)`,
          '  Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    } catch (error) {
      if (!(error instanceof StartupInterrupted)) {
        stop.abort();
        await stopAll(cleanups, logger);
        throw error;
      }
    }
    await stopAll(cleanups, logger);
    process.stderr.write('opsflow stopped\n');
    return 0;
  },
};

class StartupInterrupted extends Error {
  constructor(after: string) {
    super(`interrupted after starting ${after}`);
  }
}

async function stopAll(cleanups: Array<() => Promise<unknown>>, logger: ReturnType<typeof createLogger>): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      logger.warn({ err: error }, 'error while stopping');
    }
  }
}
