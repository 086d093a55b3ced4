// Demo data of the cloud inventory sync: a simulated account synced every minute, so the Web UI shows schedule
// `cloud-sync:<id>`, its runs and their children within a minute of `npm start`. Seeded once per OPSFLOW_HOME.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

const demoAccountName = 'demo-sim';

export async function seedCloudSyncDemo(app: FastifyInstance, adminToken: string, logger: Logger): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}` };
  const existing = await app.inject({ method: 'GET', url: '/v1/cloud-accounts', headers });
  if (existing.statusCode === 200 && existing.json().items.some((account: { name: string }) => account.name === demoAccountName)) return;
  const created = await app.inject({
    method: 'POST',
    url: '/v1/cloud-accounts',
    headers,
    payload: {
      name: demoAccountName,
      provider: 'sim',
      credentials: { seed: 'demo', instancesPerRegion: 200, regions: 3, generationSeconds: 60 },
      resourceTypes: ['instance', 'vpc', 'subnet', 'disk', 'snapshot', 'image', 'security_group', 'redis', 'load_balancer'],
      syncIntervalMinutes: 1,
    },
  });
  if (created.statusCode !== 201) {
    logger.warn({ status: created.statusCode, body: created.body }, 'demo cloud account was not accepted');
    return;
  }
  const id = created.json().id as string;
  await app.inject({ method: 'POST', url: `/v1/cloud-accounts/${id}/sync`, headers, payload: {} });
  logger.info({ scheduleId: `cloud-sync:${id}` }, 'demo cloud account seeded: a simulated cloud synced every minute');
}
