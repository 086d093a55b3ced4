// The Temporal side of a CMDB source: a watcher workflow per realtime resource, a schedule per interval resource
// (both `cmdb-watch:<sourceId>:<resource>`) and a replay workflow per sink (`cmdb-replay:<sourceId>:<sinkId>`).
// Applying converges all of them to the row, whatever ran before, so it also repairs a half-applied change.
import { ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Orm } from '../../db/orm.ts';
import { CmdbSource } from '../../db/entities/cmdb/cmdb-source.ts';
import { deleteSourceData } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { OpsCmdbSource } from '../../contracts/search-attributes.ts';
import { taskQueueName } from '../../contracts/task-queues.ts';
import {
  CMDB_REPLAY_RESOURCES,
  cmdbReplayWakeSignal,
  cmdbReplayWorkflowId,
  cmdbResyncSignal,
  cmdbWatchScheduleId,
  cmdbWatchWorkflowId,
  type CmdbReplayInput,
  type CmdbReplayResource,
  type CmdbWatchedResource,
  type CmdbWatchInput,
} from '../../contracts/cmdb.ts';
import { deleteScheduleAndCancelRuns, putSchedule } from '../../temporal/schedules.ts';
import type { TemporalSide } from '../in-step.ts';

/** A deleted source's interval runs get this long to end cancelled; after that they end as source-gone by themselves. */
const intervalRunStopWaitMs = 5_000;

const ignore = (...types: Array<new (...args: never[]) => Error>) => (error: unknown) => {
  if (types.some((type) => error instanceof type)) return;
  throw error;
};

export function cmdbSourceTemporalSide(orm: Orm, temporal: Client, taskQueuePrefix: string) {
  const taskQueue = taskQueueName(taskQueuePrefix, 'cmdb');
  const searchAttributes = (sourceId: string) => [{ key: OpsCmdbSource, value: sourceId }];

  async function startWorkflow(workflowType: string, workflowId: string, sourceId: string, input: CmdbWatchInput | CmdbReplayInput): Promise<void> {
    await temporal.workflow
      .start(workflowType, { workflowId, taskQueue, args: [input], typedSearchAttributes: searchAttributes(sourceId) })
      .catch(ignore(WorkflowExecutionAlreadyStartedError));
  }

  const startWatcher = (sourceId: string, resource: CmdbReplayResource) =>
    startWorkflow('cmdbWatchWorkflow', cmdbWatchWorkflowId(sourceId, resource), sourceId, { sourceId, resource, mode: 'realtime' });

  async function stopWatcher(sourceId: string, resource: CmdbReplayResource): Promise<void> {
    await temporal.workflow
      .getHandle(cmdbWatchWorkflowId(sourceId, resource))
      .terminate('the CMDB source no longer watches this resource in realtime')
      .catch(ignore(WorkflowNotFoundError));
  }

  async function putIntervalSchedule(sourceId: string, watched: CmdbWatchedResource): Promise<void> {
    const scheduleId = cmdbWatchScheduleId(sourceId, watched.resource);
    const input: CmdbWatchInput = { sourceId, resource: watched.resource, mode: 'interval' };
    await putSchedule(temporal, {
      scheduleId,
      spec: { intervals: [{ every: `${watched.intervalMinutes ?? 5}m` }] },
      action: { type: 'startWorkflow', workflowType: 'cmdbWatchWorkflow', workflowId: scheduleId, taskQueue, args: [input], typedSearchAttributes: searchAttributes(sourceId) },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 minute',
      paused: false,
      note: `drains ${watched.resource} to the tip every ${watched.intervalMinutes ?? 5} minutes`,
      // The informer start should not wait a whole interval.
      triggerOnCreate: true,
    });
  }

  const deleteIntervalSchedule = (sourceId: string, resource: CmdbReplayResource, closeWaitMs: number) =>
    deleteScheduleAndCancelRuns(temporal, cmdbWatchScheduleId(sourceId, resource), { closeWaitMs });

  async function stopReplay(sourceId: string, sinkId: string): Promise<void> {
    await temporal.workflow
      .getHandle(cmdbReplayWorkflowId(sourceId, sinkId))
      .terminate('the sink was removed from the CMDB source')
      .catch(ignore(WorkflowNotFoundError));
  }

  const side: TemporalSide<CmdbSource> = {
    entity: CmdbSource,
    noun: 'CMDB source',
    refusals: { create: 'start the CMDB watchers', change: 'update the CMDB watchers', delete: 'stop the CMDB watchers' },

    /** Stops first (a mode change swaps a watcher for a schedule or back), then starts or updates what the row lists. */
    async apply(source, before) {
      const watchedAs = (resource: CmdbReplayResource) => source.resources.find((watched) => watched.resource === resource)?.mode;
      for (const resource of CMDB_REPLAY_RESOURCES) {
        // A run left over from a mode change is cancelled without waiting: the realtime watcher takes over its cursor.
        if (watchedAs(resource) !== 'interval') await deleteIntervalSchedule(source.id, resource, 0);
        if (watchedAs(resource) !== 'realtime') await stopWatcher(source.id, resource);
      }
      // A removed sink's replay also ends by itself once it finds the sink gone; stopping it is only quicker.
      const kept = new Set(source.sinks.map((sink) => sink.id));
      for (const sink of before?.sinks ?? []) if (!kept.has(sink.id)) await stopReplay(source.id, sink.id);
      for (const watched of source.resources) {
        if (watched.mode === 'realtime') await startWatcher(source.id, watched.resource);
        else await putIntervalSchedule(source.id, watched);
      }
      for (const sink of source.sinks) {
        await startWorkflow('cmdbReplayWorkflow', cmdbReplayWorkflowId(source.id, sink.id), source.id, { sourceId: source.id, sinkId: sink.id });
      }
    },

    async remove(source) {
      for (const resource of CMDB_REPLAY_RESOURCES) {
        await stopWatcher(source.id, resource);
        await deleteIntervalSchedule(source.id, resource, intervalRunStopWaitMs);
      }
      for (const sink of source.sinks) await stopReplay(source.id, sink.id);
    },

    deleteRow: (id) => deleteSourceData(orm, id),
  };

  return {
    side,

    /** A new bookmark and re-list for every resource: a signal to each realtime watcher, a run of each schedule now. */
    async resync(source: CmdbSource): Promise<void> {
      for (const watched of source.resources) {
        if (watched.mode === 'realtime') {
          await temporal.workflow
            .getHandle(cmdbWatchWorkflowId(source.id, watched.resource))
            .signal(cmdbResyncSignal)
            .catch(async (error: unknown) => {
              if (!(error instanceof WorkflowNotFoundError)) throw error;
              await startWatcher(source.id, watched.resource);
            });
        } else {
          await temporal.schedule.getHandle(cmdbWatchScheduleId(source.id, watched.resource)).trigger();
        }
      }
    },

    /** Shortcut only: a replay that misses the signal finds the work on its next idle check. */
    async wakeReplays(sourceId: string, sinkIds: string[]): Promise<void> {
      for (const sinkId of sinkIds) {
        await temporal.workflow.getHandle(cmdbReplayWorkflowId(sourceId, sinkId)).signal(cmdbReplayWakeSignal).catch(ignore(WorkflowNotFoundError));
      }
    },
  };
}
