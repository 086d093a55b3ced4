// The CMDB part of `npm start`: an in-process BlueKing CMDB emulator whose topology keeps changing, and (with the
// demo on) a source following it into the topology mirror, created through the same service the API calls.
import type { Logger } from 'pino';
import { startCmdbEmulator } from '../integrations/cmdb/emulator/server.ts';
import { CmdbChangeGenerator } from '../integrations/cmdb/emulator/change-generator.ts';
import type { CmdbSourceService } from '../services/cmdb/sources.ts';

const DEMO_AUTH = { appCode: 'opsflow-demo', appSecret: 'opsflow-demo-secret', username: 'admin' };
const CHANGE_EVERY_MS = 3_000;
const DEMO_SOURCE_NAME = 'demo-cmdb';

export interface CmdbDemo {
  url: string;
  close(): Promise<void>;
}

export async function startCmdbDemo(options: { port: number; sources: CmdbSourceService | null; logger: Logger }): Promise<CmdbDemo> {
  const emulator = await startCmdbEmulator({ host: '127.0.0.1', port: options.port, auth: DEMO_AUTH });
  const generator = new CmdbChangeGenerator(emulator.state, { seed: Date.now() % 100_000 });
  // A small company to start from, then a change every few seconds.
  generator.run(40);
  generator.start(CHANGE_EVERY_MS);
  options.logger.info({ url: emulator.url }, 'CMDB emulator running with a change generator');
  if (options.sources) await seedCmdbSource(options.sources, emulator.url, options.logger);
  return {
    url: emulator.url,
    async close() {
      generator.stop();
      await emulator.close();
    },
  };
}

async function seedCmdbSource(sources: CmdbSourceService, emulatorUrl: string, logger: Logger): Promise<void> {
  const existing = (await sources.list()).find((source) => source.name === DEMO_SOURCE_NAME);
  try {
    if (existing) {
      // A second `npm start`: the source exists but follows a fresh emulator, so the mirror is re-listed from it.
      await sources.resync(existing.id);
      logger.info('demo CMDB source already exists; re-listing it from the new emulator');
      return;
    }
    const fields = (...names: string[]) => names;
    const source = await sources.create({
      name: DEMO_SOURCE_NAME,
      baseUrl: emulatorUrl,
      apiStyle: 'esb',
      ...DEMO_AUTH,
      supplierAccount: '0',
      resources: [
        { resource: 'biz', mode: 'realtime', fields: fields('bk_biz_id', 'bk_biz_name', 'bk_biz_maintainer') },
        { resource: 'set', mode: 'realtime', fields: fields('bk_set_id', 'bk_set_name', 'bk_biz_id') },
        { resource: 'module', mode: 'realtime', fields: fields('bk_module_id', 'bk_module_name', 'bk_set_id', 'bk_biz_id') },
        { resource: 'host', mode: 'realtime', fields: fields('bk_host_id', 'bk_host_innerip', 'bk_host_name', 'operator') },
        { resource: 'host_relation', mode: 'realtime' },
      ],
      sinks: [{ type: 'topology' }],
    });
    logger.info({ sourceId: source.id }, 'demo CMDB source created: GET /v1/cmdb/topology?sourceId=<id> fills as it replays');
  } catch (error) {
    logger.warn({ err: error }, 'demo CMDB source was not accepted');
  }
}
