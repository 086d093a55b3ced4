// `opsflow api`: the HTTP API alone (production: run several behind a load balancer).
import { loadConfig } from '../config/env.ts';
import { createLogger } from '../security/logging.ts';
import { buildApiServer } from '../api/server.ts';
import { migrateToLatest } from '../db/orm.ts';
import { createServices, startReconciler } from '../services/index.ts';
import { EncryptionCodec } from '../temporal/codec.ts';
import { openRuntime } from '../workers/runtime.ts';
import { shutdownOnSignals } from './signals.ts';
import type { CliCommand } from './command.ts';

export const apiCommand: CliCommand = {
  usage: 'opsflow api',
  options: {},
  optionHelp: {},
  async run() {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    const runtime = await openRuntime(config);
    await migrateToLatest(runtime.orm);
    const services = createServices({ ...runtime, clouds: async () => runtime.clouds });
    // Every API process reconciles: rows a crashed or refused write left out of step converge within a minute.
    const reconciler = startReconciler(services, logger);
    const app = await buildApiServer({ ...runtime, services, codec: new EncryptionCodec(runtime.keyring), logger });
    await app.listen({ host: config.api.host, port: config.api.port });
    await new Promise<void>((resolve) => shutdownOnSignals(resolve));
    await app.close();
    await reconciler.stop();
    await runtime.close();
    return 0;
  },
};
