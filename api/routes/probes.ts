// Probes: an operator asks a task queue to answer; the answer proves, end to end, that a worker polls that queue,
// decodes payloads with the API's keys and reaches the database.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import { Probe, PROBE_STATES } from '../../db/entities/probe/probe.ts';
import { ALL_TASK_QUEUES, taskQueueName, type TaskQueueName } from '../../contracts/task-queues.ts';
import { probeWorkflowId, type ProbeInput } from '../../contracts/probe.ts';
import { ApiError, NotFoundError } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

export interface ProbeRouteDeps {
  orm: Orm;
  temporal: Client;
  taskQueuePrefix: string;
}

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

export function probeRoutes({ orm, temporal, taskQueuePrefix }: ProbeRouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/probes',
      summary: 'Ask the workers of a task queue to answer',
      description: 'Starts workflow `probe:<id>` on the queue. Poll GET /v1/probes/{id} until state is completed.',
      tags: ['operations'],
      auth: 'operator',
      body: probeBody,
      response: { 202: probeView.extend({ runId: z.string() }) },
      async handler({ body, principal }) {
        const em = orm.em.fork();
        const id = crypto.randomUUID();
        const probe = em.create(Probe, {
          id,
          taskQueue: body.queue,
          note: body.note,
          workflowId: probeWorkflowId(id),
          requestedBy: principal!.subject,
        });
        await em.flush();
        const input: ProbeInput = { probeId: id, note: body.note };
        try {
          const handle = await temporal.workflow.start('probeWorkflow', {
            workflowId: probe.workflowId,
            taskQueue: taskQueueName(taskQueuePrefix, body.queue),
            args: [input],
          });
          return { ...view(probe), runId: handle.firstExecutionRunId };
        } catch (error) {
          // Nothing half-written: a probe that never started is not kept.
          await em.remove(probe).flush();
          throw new ApiError(503, 'temporal_unavailable', `Temporal did not accept the probe workflow: ${(error as Error).message}`);
        }
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
      async handler({ params }) {
        const probe = await orm.em.fork().findOne(Probe, { id: params.id });
        if (!probe) throw new NotFoundError(`Probe ${params.id} not found.`);
        return view(probe);
      },
    }),
  ];
}
