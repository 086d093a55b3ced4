// The Temporal side of a cloud account: its schedule `cloud-sync:<accountId>` (overlap SKIP) and its manual sync
// `cloud-sync:<accountId>`. Deleting the account deletes the schedule and cancels both kinds of run.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Client, ScheduleOptionsAction } from '@temporalio/client';
import type { Orm } from '../../db/orm.ts';
import { CloudAccount } from '../../db/entities/cloud-sync/cloud-account.ts';
import { cloudSyncScheduleId, manualSyncWorkflowId } from '../../contracts/cloud-sync.ts';
import type { SyncAccountInput } from '../../contracts/cloud-sync.ts';
import { OpsAccountId, OpsProvider } from '../../contracts/search-attributes.ts';
import { taskQueueName } from '../../contracts/task-queues.ts';
import { deleteScheduleAndCancelRuns, putSchedule, type ScheduleDesign } from '../../temporal/schedules.ts';
import type { TemporalSide } from '../in-step.ts';

/** How long a delete waits for the account's cancelled syncs to close before it deletes the row anyway. */
const syncStopWaitMs = 10_000;

export function cloudAccountTemporalSide(orm: Orm, temporal: Client, taskQueuePrefix: string) {
  const taskQueue = taskQueueName(taskQueuePrefix, 'cloud-sync');
  const searchAttributes = (account: CloudAccount) => [
    { key: OpsAccountId, value: account.id },
    { key: OpsProvider, value: account.provider },
  ];

  function scheduleOf(account: CloudAccount): ScheduleDesign {
    const input: SyncAccountInput = { accountId: account.id };
    const action: ScheduleOptionsAction = {
      type: 'startWorkflow',
      workflowType: 'syncAccount',
      // The server appends the scheduled time, e.g. cloud-sync:<id>:scheduled-2026-11-22T10:00:00Z.
      workflowId: `${manualSyncWorkflowId(account.id)}:scheduled`,
      taskQueue,
      args: [input],
      typedSearchAttributes: searchAttributes(account),
    };
    const paused = !account.enabled || account.syncIntervalMinutes === 0;
    return {
      scheduleId: cloudSyncScheduleId(account.id),
      // Interval 0 pauses the schedule; the spec keeps an hourly placeholder, so unpausing needs a new interval anyway.
      spec: { intervals: [{ every: `${account.syncIntervalMinutes > 0 ? account.syncIntervalMinutes : 60} minutes` }] },
      action,
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '5 minutes',
      paused,
      note: paused ? (account.enabled ? 'sync interval is 0' : 'account disabled') : 'account enabled with a sync interval',
    };
  }

  const side: TemporalSide<CloudAccount> = {
    entity: CloudAccount,
    noun: 'Cloud account',
    refusals: {
      create: 'create the sync schedule',
      change: 'update the sync schedule',
      delete: 'delete the sync schedule and stop the running syncs',
    },
    apply: (account) => putSchedule(temporal, scheduleOf(account)),
    remove: (account) =>
      deleteScheduleAndCancelRuns(temporal, cloudSyncScheduleId(account.id), { alsoCancel: [manualSyncWorkflowId(account.id)], closeWaitMs: syncStopWaitMs }),
    // Resources, relations and sync runs go with the row (foreign keys cascade); a sync still finishing a page then
    // fails on the resource -> cloud_account key, so nothing of the account is written once this commits.
    async deleteRow(id) {
      await orm.em.fork().nativeDelete(CloudAccount, { id });
    },
  };

  return {
    side,

    /** Starts a manual sync, or returns the one already running for the account. */
    async startManualSync(account: CloudAccount, resourceTypes?: string[]): Promise<{ workflowId: string; runId: string }> {
      const input: SyncAccountInput = { accountId: account.id, ...(resourceTypes ? { resourceTypes } : {}) };
      const handle = await temporal.workflow.start('syncAccount', {
        workflowId: manualSyncWorkflowId(account.id),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: searchAttributes(account),
      });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },
  };
}
