// The CMDB part of `npm start`: an in-process BlueKing CMDB emulator whose topology keeps changing, and (with the
// demo on) a source following it into the topology mirror, created through the public API as a user would.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { startCmdbEmulator } from '../integrations/cmdb/emulator/server.ts';
import { CmdbChangeGenerator } from '../integrations/cmdb/emulator/change-generator.ts';

const DEMO_AUTH = { appCode: 'opsflow-demo', appSecret: 'opsflow-demo-secret', username: 'admin' };
const CHANGE_EVERY_MS = 3_000;

export interface CmdbDemo {
  url: string;
  close(): Promise<void>;
}

export async function startCmdbDemo(options: { port: number; seedSource: boolean; app: FastifyInstance; adminToken: string; logger: Logger }): Promise<CmdbDemo> {
  const emulator = await startCmdbEmulator({ host: '127.0.0.1', port: options.port, auth: DEMO_AUTH });
  const generator = new CmdbChangeGenerator(emulator.state, { seed: Date.now() % 100_000 });
  // A small company to start from, then a change every few seconds.
  generator.run(40);
  generator.start(CHANGE_EVERY_MS);
  options.logger.info({ url: emulator.url }, 'CMDB emulator running with a change generator');

  if (options.seedSource) {
    const fields = (...names: string[]) => names;
    const response = await options.app.inject({
      method: 'POST',
      url: '/v1/cmdb/sources',
      headers: { authorization: `Bearer ${options.adminToken}` },
      payload: {
        name: 'demo-cmdb',
        baseUrl: emulator.url,
        apiStyle: 'esb',
        ...DEMO_AUTH,
        resources: [
          { resource: 'biz', mode: 'realtime', fields: fields('bk_biz_id', 'bk_biz_name', 'bk_biz_maintainer') },
          { resource: 'set', mode: 'realtime', fields: fields('bk_set_id', 'bk_set_name', 'bk_biz_id') },
          { resource: 'module', mode: 'realtime', fields: fields('bk_module_id', 'bk_module_name', 'bk_set_id', 'bk_biz_id') },
          { resource: 'host', mode: 'realtime', fields: fields('bk_host_id', 'bk_host_innerip', 'bk_host_name', 'operator') },
          { resource: 'host_relation', mode: 'realtime' },
        ],
        sinks: [{ type: 'topology' }],
      },
    });
    if (response.statusCode === 201) {
      options.logger.info({ sourceId: response.json().id }, 'demo CMDB source created: GET /v1/cmdb/topology?sourceId=<id> fills as it replays');
    } else if (response.statusCode === 409) {
      // A second `npm start`: the source exists but follows a fresh emulator, so the mirror is re-listed from it.
      const listed = await options.app.inject({ method: 'GET', url: '/v1/cmdb/sources', headers: { authorization: `Bearer ${options.adminToken}` } });
      const existing = (listed.json().sources as Array<{ id: string; name: string }>).find((source) => source.name === 'demo-cmdb');
      if (existing) {
        await options.app.inject({ method: 'POST', url: `/v1/cmdb/sources/${existing.id}/resync`, headers: { authorization: `Bearer ${options.adminToken}` } });
      }
      options.logger.info('demo CMDB source already exists; re-listing it from the new emulator');
    } else {
      options.logger.warn({ status: response.statusCode, body: response.body }, 'demo CMDB source was not accepted');
    }
  }
  return {
    url: emulator.url,
    async close() {
      generator.stop();
      await emulator.close();
    },
  };
}
