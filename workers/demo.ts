// Demo seeding for `npm start`, through the same services the API calls: one probe per task queue, so the Web UI
// shows a completed workflow on every queue, then each domain's demo data.
import type { Logger } from 'pino';
import { ALL_TASK_QUEUES } from '../contracts/task-queues.ts';
import type { Services } from '../services/index.ts';
import { seedCloudSyncDemo } from './demo-cloud-sync.ts';

export async function seedDemo(services: Services, logger: Logger): Promise<void> {
  for (const queue of ALL_TASK_QUEUES) {
    try {
      await services.probes.request({ queue, note: `demo probe of the ${queue} workers`, requestedBy: 'demo' });
    } catch (error) {
      logger.warn({ queue, err: error }, 'demo probe was not accepted');
    }
  }
  logger.info('demo seeded: one probe per task queue');
  await seedCloudSyncDemo(services.cloudAccounts, logger);
}
