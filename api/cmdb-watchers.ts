// Keeps a CMDB source's Temporal side in step with its row: a watcher workflow per realtime resource, a schedule
// per interval resource (both `cmdb-watch:<sourceId>:<resource>`) and a replay workflow per sink. Every step is
// idempotent, so applying the same plan twice (or after a partial failure) converges.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  type Client,
} from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { OpsCmdbSource } from '../contracts/search-attributes.ts';
import { taskQueueName } from '../contracts/task-queues.ts';
import {
  cmdbReplayWakeSignal,
  cmdbReplayWorkflowId,
  cmdbResyncSignal,
  cmdbWatchScheduleId,
  cmdbWatchWorkflowId,
  type CmdbReplayInput,
  type CmdbStoredSink,
  type CmdbWatchedResource,
  type CmdbWatchInput,
} from '../contracts/cmdb.ts';

export interface CmdbWatcherPlan {
  sourceId: string;
  resources: CmdbWatchedResource[];
  sinks: CmdbStoredSink[];
}

export interface CmdbWatchers {
  /** Starts or updates what `next` needs and stops what only `previous` had. */
  reconcile(previous: CmdbWatcherPlan | null, next: CmdbWatcherPlan | null): Promise<void>;
  resync(plan: CmdbWatcherPlan): Promise<void>;
  wakeReplays(sourceId: string, sinkIds: string[]): Promise<void>;
}

const ignore = (...types: Array<new (...args: never[]) => Error>) => (error: unknown) => {
  if (types.some((type) => error instanceof type)) return;
  throw error;
};

export function createCmdbWatchers(temporal: Client, taskQueuePrefix: string): CmdbWatchers {
  const taskQueue = taskQueueName(taskQueuePrefix, 'cmdb');
  const searchAttributes = (sourceId: string) => [{ key: OpsCmdbSource, value: sourceId }];

  async function startWatcher(sourceId: string, watched: CmdbWatchedResource): Promise<void> {
    const input: CmdbWatchInput = { sourceId, resource: watched.resource, mode: 'realtime' };
    await temporal.workflow
      .start('cmdbWatchWorkflow', {
        workflowId: cmdbWatchWorkflowId(sourceId, watched.resource),
        taskQueue,
        args: [input],
        typedSearchAttributes: searchAttributes(sourceId),
      })
      .catch(ignore(WorkflowExecutionAlreadyStartedError));
  }

  async function stopWatcher(sourceId: string, resource: string): Promise<void> {
    await temporal.workflow
      .getHandle(cmdbWatchWorkflowId(sourceId, resource))
      .terminate('the CMDB source no longer watches this resource in realtime')
      .catch(ignore(WorkflowNotFoundError));
  }

  async function putSchedule(sourceId: string, watched: CmdbWatchedResource): Promise<void> {
    const scheduleId = cmdbWatchScheduleId(sourceId, watched.resource);
    const input: CmdbWatchInput = { sourceId, resource: watched.resource, mode: 'interval' };
    const options = {
      scheduleId,
      spec: { intervals: [{ every: `${watched.intervalMinutes ?? 5}m` }] },
      action: {
        type: 'startWorkflow' as const,
        workflowType: 'cmdbWatchWorkflow',
        workflowId: scheduleId,
        taskQueue,
        args: [input],
        typedSearchAttributes: searchAttributes(sourceId),
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    };
    try {
      const handle = await temporal.schedule.create(options);
      // The informer start should not wait a whole interval.
      await handle.trigger();
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: options.spec, action: options.action }));
    }
  }

  async function deleteSchedule(sourceId: string, resource: string): Promise<void> {
    await temporal.schedule.getHandle(cmdbWatchScheduleId(sourceId, resource)).delete().catch(ignore(ScheduleNotFoundError));
  }

  async function startReplay(sourceId: string, sinkId: string): Promise<void> {
    const input: CmdbReplayInput = { sourceId, sinkId };
    await temporal.workflow
      .start('cmdbReplayWorkflow', {
        workflowId: cmdbReplayWorkflowId(sourceId, sinkId),
        taskQueue,
        args: [input],
        typedSearchAttributes: searchAttributes(sourceId),
      })
      .catch(ignore(WorkflowExecutionAlreadyStartedError));
  }

  async function stopReplay(sourceId: string, sinkId: string): Promise<void> {
    await temporal.workflow
      .getHandle(cmdbReplayWorkflowId(sourceId, sinkId))
      .terminate('the sink was removed from the CMDB source')
      .catch(ignore(WorkflowNotFoundError));
  }

  return {
    async reconcile(previous, next) {
      const sourceId = (next ?? previous)!.sourceId;
      const before = new Map((previous?.resources ?? []).map((watched) => [watched.resource, watched]));
      const after = new Map((next?.resources ?? []).map((watched) => [watched.resource, watched]));
      for (const [resource, watched] of before) {
        const kept = after.get(resource);
        if (watched.mode === 'realtime' && kept?.mode !== 'realtime') await stopWatcher(sourceId, resource);
        if (watched.mode === 'interval' && kept?.mode !== 'interval') await deleteSchedule(sourceId, resource);
      }
      for (const watched of after.values()) {
        if (watched.mode === 'realtime') await startWatcher(sourceId, watched);
        else await putSchedule(sourceId, watched);
      }
      const sinkIds = new Set((next?.sinks ?? []).map((sink) => sink.id));
      for (const sink of previous?.sinks ?? []) if (!sinkIds.has(sink.id)) await stopReplay(sourceId, sink.id);
      for (const sink of next?.sinks ?? []) await startReplay(sourceId, sink.id);
    },

    async resync(plan) {
      for (const watched of plan.resources) {
        if (watched.mode === 'realtime') {
          await temporal.workflow
            .getHandle(cmdbWatchWorkflowId(plan.sourceId, watched.resource))
            .signal(cmdbResyncSignal)
            .catch(async (error: unknown) => {
              if (!(error instanceof WorkflowNotFoundError)) throw error;
              await startWatcher(plan.sourceId, watched);
            });
        } else {
          await temporal.schedule.getHandle(cmdbWatchScheduleId(plan.sourceId, watched.resource)).trigger();
        }
      }
    },

    async wakeReplays(sourceId, sinkIds) {
      for (const sinkId of sinkIds) {
        await temporal.workflow.getHandle(cmdbReplayWorkflowId(sourceId, sinkId)).signal(cmdbReplayWakeSignal).catch(ignore(WorkflowNotFoundError));
      }
    },
  };
}
