// Probes: an operator asks the workers of a task queue to answer, which proves end to end that a worker polls
// that queue, decodes payloads with the API's keys and reaches the database.
import type { Client } from '@temporalio/client';
import type { Orm } from '../../db/orm.ts';
import { Probe } from '../../db/entities/probe/probe.ts';
import { taskQueueName, type TaskQueueName } from '../../contracts/task-queues.ts';
import { probeWorkflowId, type ProbeInput } from '../../contracts/probe.ts';
import { DependencyUnavailableError, NotFoundError } from '../errors.ts';

export interface ProbeServiceDeps {
  orm: Orm;
  temporal: Client;
  taskQueuePrefix: string;
}

export function createProbeService({ orm, temporal, taskQueuePrefix }: ProbeServiceDeps) {
  return {
    /**
     * Records the probe and starts workflow `probe:<id>`. A probe owns no lasting Temporal side (one run, no
     * schedule), so it needs no reconciler: when Temporal refuses the start, the row is deleted again.
     */
    async request(input: { queue: TaskQueueName; note: string; requestedBy: string }): Promise<{ probe: Probe; runId: string }> {
      const em = orm.em.fork();
      const id = crypto.randomUUID();
      const probe = em.create(Probe, { id, taskQueue: input.queue, note: input.note, workflowId: probeWorkflowId(id), requestedBy: input.requestedBy });
      await em.flush();
      const workflowInput: ProbeInput = { probeId: id, note: input.note };
      try {
        const handle = await temporal.workflow.start('probeWorkflow', {
          workflowId: probe.workflowId,
          taskQueue: taskQueueName(taskQueuePrefix, input.queue),
          args: [workflowInput],
        });
        return { probe, runId: handle.firstExecutionRunId };
      } catch (error) {
        await em.remove(probe).flush();
        throw DependencyUnavailableError.temporalRefused('start the probe workflow', error);
      }
    },

    async get(id: string): Promise<Probe> {
      const probe = await orm.em.fork().findOne(Probe, { id });
      if (!probe) throw new NotFoundError(`Probe ${id} not found.`);
      return probe;
    },
  };
}

export type ProbeService = ReturnType<typeof createProbeService>;
