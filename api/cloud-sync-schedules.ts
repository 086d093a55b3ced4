// The Temporal side of a cloud account: its schedule `cloud-sync:<accountId>` (overlap SKIP), manual syncs, and
// stopping its syncs when the account is deleted.
// The account routes call these inside their database transaction, so a refused Temporal call leaves no row behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { Client, ScheduleOptionsAction, ScheduleSpec, WorkflowHandle } from '@temporalio/client';
import { cloudSyncScheduleId, manualSyncWorkflowId } from '../contracts/cloud-sync.ts';
import type { SyncAccountInput } from '../contracts/cloud-sync.ts';
import { OpsAccountId, OpsProvider } from '../contracts/search-attributes.ts';
import { taskQueueName } from '../contracts/task-queues.ts';

export interface ScheduledAccount {
  id: string;
  provider: string;
  syncIntervalMinutes: number;
  enabled: boolean;
}

/** Missed runs within this window (Temporal or workers down) are taken once when they come back; older ones are skipped. */
const catchupWindow = '5 minutes';

/** Interval 0 pauses the schedule; the spec keeps an hourly placeholder so unpausing needs a new interval anyway. */
function specOf(account: ScheduledAccount): ScheduleSpec {
  return { intervals: [{ every: `${account.syncIntervalMinutes > 0 ? account.syncIntervalMinutes : 60} minutes` }] };
}

const isPaused = (account: ScheduledAccount) => !account.enabled || account.syncIntervalMinutes === 0;
const pauseNote = (account: ScheduledAccount) => (account.enabled ? 'sync interval is 0' : 'account disabled');

export function createCloudSyncScheduler(temporal: Client, taskQueuePrefix: string) {
  const taskQueue = taskQueueName(taskQueuePrefix, 'cloud-sync');

  function actionOf(account: ScheduledAccount): ScheduleOptionsAction {
    const input: SyncAccountInput = { accountId: account.id };
    return {
      type: 'startWorkflow',
      workflowType: 'syncAccount',
      // The server appends the scheduled time, e.g. cloud-sync:<id>:scheduled-2026-11-22T10:00:00Z.
      workflowId: `${manualSyncWorkflowId(account.id)}:scheduled`,
      taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: OpsAccountId, value: account.id },
        { key: OpsProvider, value: account.provider },
      ],
    };
  }

  return {
    async create(account: ScheduledAccount): Promise<void> {
      await temporal.schedule.create({
        scheduleId: cloudSyncScheduleId(account.id),
        spec: specOf(account),
        action: actionOf(account),
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow },
        state: isPaused(account) ? { paused: true, note: pauseNote(account) } : { paused: false },
      });
    },

    async update(account: ScheduledAccount): Promise<void> {
      // One update carrying spec, action and paused state: a separate pause/unpause call could be applied before
      // the update, which would then restore the previous paused state.
      await temporal.schedule.getHandle(cloudSyncScheduleId(account.id)).update((previous) => ({
        ...previous,
        spec: specOf(account),
        action: actionOf(account),
        state: isPaused(account) ? { ...previous.state, paused: true, note: pauseNote(account) } : { ...previous.state, paused: false, note: 'account enabled with a sync interval' },
      }));
    },

    /**
     * Deletes the schedule, then cancels the account's running syncs: the manual one and those the schedule started
     * (read from the schedule first; cancelling one that already finished is a no-op). Cancellation, not
     * termination: the children are cancelled by their parent, and a listing activity learns it at its next
     * heartbeat. Then waits, at most `closeWaitMs`, for the cancelled syncs to close, so that they end cancelled
     * before the caller deletes the account rather than failing on its vanished row. A schedule or a sync already
     * gone is not an error, so the account's delete can be retried.
     */
    async deleteAndStopSyncs(accountId: string, closeWaitMs: number): Promise<void> {
      const schedule = temporal.schedule.getHandle(cloudSyncScheduleId(accountId));
      let scheduledRuns: string[] = [];
      try {
        // The server may leave runningActions empty (overlap SKIP); the running run is then the latest recent one.
        const { info } = await schedule.describe();
        scheduledRuns = [...new Set([...info.runningActions, ...info.recentActions.map((recent) => recent.action)].map((action) => action.workflow.workflowId))];
        await schedule.delete();
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      }
      const cancelled: WorkflowHandle[] = [];
      for (const workflowId of [manualSyncWorkflowId(accountId), ...scheduledRuns]) {
        const handle = temporal.workflow.getHandle(workflowId);
        try {
          await handle.cancel();
          cancelled.push(handle);
        } catch (error) {
          // Also what the server answers for a sync that already finished.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      // Without a worker a cancelled sync cannot close; it still ends cancelled when one comes back.
      const deadline = Date.now() + closeWaitMs;
      for (const handle of cancelled) {
        while (Date.now() < deadline && (await handle.describe()).status.name === 'RUNNING') await sleep(100);
      }
    },

    /** Starts a manual sync, or returns the one already running for the account. */
    async startManualSync(account: ScheduledAccount, resourceTypes?: string[]): Promise<{ workflowId: string; runId: string }> {
      const input: SyncAccountInput = { accountId: account.id, ...(resourceTypes ? { resourceTypes } : {}) };
      const handle = await temporal.workflow.start('syncAccount', {
        workflowId: manualSyncWorkflowId(account.id),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: OpsAccountId, value: account.id },
          { key: OpsProvider, value: account.provider },
        ],
      });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },
  };
}

export type CloudSyncScheduler = ReturnType<typeof createCloudSyncScheduler>;
