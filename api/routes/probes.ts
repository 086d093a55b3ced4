// Probes over HTTP: an operator asks a task queue to answer (services/probe/probes.ts starts the workflow) and
// reads back which worker did.
import { z } from 'zod';
import { type Probe, PROBE_STATES } from '../../db/entities/probe/probe.ts';
import { ALL_TASK_QUEUES, type TaskQueueName } from '../../contracts/task-queues.ts';
import type { ProbeService } from '../../services/probe/probes.ts';
import { errorBodySchema } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

const probeBody = z
  .object({
    queue: z.enum(ALL_TASK_QUEUES as [TaskQueueName, ...TaskQueueName[]]).describe('Task queue whose workers should answer.'),
    note: z.string().max(1000).default('').describe('Echoed back by the worker through Temporal.'),
  })
  .meta({ id: 'ProbeRequest' });

const probeView = z
  .object({
    id: z.uuid(),
    queue: z.string(),
    note: z.string(),
    state: z.enum(PROBE_STATES),
    echo: z.string().nullable().describe('The note as the worker decoded it.'),
    workerIdentity: z.string().nullable(),
    workflowId: z.string(),
    requestedBy: z.string(),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Probe' });

function view(probe: Probe): z.input<typeof probeView> {
  return {
    id: probe.id,
    queue: probe.taskQueue,
    note: probe.note,
    state: probe.state,
    echo: probe.echo ?? null,
    workerIdentity: probe.workerIdentity ?? null,
    workflowId: probe.workflowId,
    requestedBy: probe.requestedBy,
    createdAt: probe.createdAt.toISOString(),
    completedAt: probe.completedAt?.toISOString() ?? null,
  };
}

export function probeRoutes(probes: ProbeService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/probes',
      summary: 'Ask the workers of a task queue to answer',
      description: 'Starts workflow `probe:<id>` on the queue. Poll GET /v1/probes/{id} until state is completed.',
      tags: ['operations'],
      auth: 'operator',
      body: probeBody,
      response: { 202: probeView.extend({ runId: z.string() }), 503: errorBodySchema },
      async handler({ body, principal }) {
        const { probe, runId } = await probes.request({ queue: body.queue, note: body.note, requestedBy: principal!.subject });
        return { ...view(probe), runId };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/probes/:id',
      summary: 'Read a probe and the worker that answered it',
      tags: ['operations'],
      auth: 'viewer',
      params: z.object({ id: z.uuid() }),
      response: { 200: probeView },
      handler: async ({ params }) => view(await probes.get(params.id)),
    }),
  ];
}
