// The Temporal side of a cloud account: its schedule `cloud-sync:<accountId>` (overlap SKIP) and manual syncs.
// The account routes call these inside their database transaction, so a refused Temporal call leaves no row behind.
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Client, ScheduleOptionsAction, ScheduleSpec } from '@temporalio/client';
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

    /** Deleting a schedule that is already gone is not an error: the account's delete can be retried. */
    async delete(accountId: string): Promise<void> {
      try {
        await temporal.schedule.getHandle(cloudSyncScheduleId(accountId)).delete();
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
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
