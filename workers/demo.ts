// Demo seeding for `npm start`, through the public API as a user would: for now one probe per task queue,
// so the Web UI shows a completed workflow on every queue. Later domains add their demo data here.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ALL_TASK_QUEUES } from '../contracts/task-queues.ts';
import { seedCloudSyncDemo } from './demo-cloud-sync.ts';

export async function seedDemo(app: FastifyInstance, adminToken: string, logger: Logger): Promise<void> {
  for (const queue of ALL_TASK_QUEUES) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/probes',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { queue, note: `demo probe of the ${queue} workers` },
    });
    if (response.statusCode !== 202) logger.warn({ queue, status: response.statusCode, body: response.body }, 'demo probe was not accepted');
  }
  logger.info('demo seeded: one probe per task queue');
  await seedCloudSyncDemo(app, adminToken, logger);
}
