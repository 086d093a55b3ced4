// Demo data of the cloud inventory sync: a simulated account synced every minute, so the Web UI shows schedule
// `cloud-sync:<id>`, its runs and their children within a minute of `npm start`. Seeded once per OPSFLOW_HOME.
import type { Logger } from 'pino';
import type { CloudAccountService } from '../services/cloud-sync/accounts.ts';

const demoAccountName = 'demo-sim';

export async function seedCloudSyncDemo(accounts: CloudAccountService, logger: Logger): Promise<void> {
  if ((await accounts.list()).some((account) => account.name === demoAccountName)) return;
  try {
    const account = await accounts.create({
      name: demoAccountName,
      provider: 'sim',
      credentials: { seed: 'demo', instancesPerRegion: 200, regions: 3, generationSeconds: 60 },
      resourceTypes: ['instance', 'vpc', 'subnet', 'disk', 'snapshot', 'image', 'security_group', 'redis', 'load_balancer'],
      syncIntervalMinutes: 1,
      enabled: true,
      validate: false,
    });
    await accounts.syncNow(account.id);
    logger.info({ scheduleId: `cloud-sync:${account.id}` }, 'demo cloud account seeded: a simulated cloud synced every minute');
  } catch (error) {
    logger.warn({ err: error }, 'demo cloud account was not accepted');
  }
}
