// Every opsflow schedule is created, changed, paused and deleted here, so each domain gets the same guarantees:
// spec, action, policies and paused state land in one call, and a delete also stops the runs the schedule started.
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client, ScheduleOptionsAction, ScheduleOverlapPolicy, ScheduleSpec, WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';

/** What a schedule should be; its id is deterministic (e.g. `cloud-sync:<accountId>`), so putting it twice is harmless. */
export interface ScheduleDesign {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsAction;
  overlap: ScheduleOverlapPolicy;
  /** Missed runs within this window (Temporal or workers down) are taken once they come back; older ones are skipped. */
  catchupWindow: Duration;
  /** Paused schedules keep their spec; the note says why (shown in the Web UI and `temporal schedule describe`). */
  paused: boolean;
  note: string;
  /** Take the first run now instead of one interval later, when the schedule is first created. */
  triggerOnCreate?: boolean;
}

/**
 * Creates the schedule, or brings an existing one to the design. The update carries spec, action, policies and
 * paused state together: a separate pause/unpause call could be applied before the update, which would then
 * restore the previous paused state.
 */
export async function putSchedule(temporal: Client, design: ScheduleDesign): Promise<void> {
  const state = { paused: design.paused, note: design.note };
  const policies = { overlap: design.overlap, catchupWindow: design.catchupWindow };
  try {
    const handle = await temporal.schedule.create({ scheduleId: design.scheduleId, spec: design.spec, action: design.action, policies, state });
    if (design.triggerOnCreate) await handle.trigger();
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await temporal.schedule.getHandle(design.scheduleId).update((previous) => ({
      ...previous,
      spec: design.spec,
      action: design.action,
      policies: { ...previous.policies, ...policies },
      state: { ...previous.state, ...state },
    }));
  }
}

/**
 * Deletes the schedule, then cancels its running runs (read from the schedule first) and `alsoCancel` (e.g. the
 * manual run sharing the schedule's business id). Cancellation, not termination: a run's compensations still run,
 * and an activity learns it at its next heartbeat. Then waits, at most `closeWaitMs`, for the cancelled runs to
 * close, so they end cancelled before the caller deletes the row they work on rather than failing on its absence;
 * without a worker a cancelled run cannot close, and still ends cancelled when one comes back. A schedule or a
 * run already gone is not an error, so a delete can be retried.
 */
export async function deleteScheduleAndCancelRuns(temporal: Client, scheduleId: string, options: { alsoCancel?: string[]; closeWaitMs: number }): Promise<void> {
  const schedule = temporal.schedule.getHandle(scheduleId);
  let scheduledRuns: string[] = [];
  try {
    // The server may leave runningActions empty (overlap SKIP); the running run is then the latest recent one.
    const { info } = await schedule.describe();
    scheduledRuns = [...info.runningActions, ...info.recentActions.map((recent) => recent.action)].map((action) => action.workflow.workflowId);
    await schedule.delete();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
  const cancelled: WorkflowHandle[] = [];
  for (const workflowId of new Set([...(options.alsoCancel ?? []), ...scheduledRuns])) {
    const handle = temporal.workflow.getHandle(workflowId);
    try {
      await handle.cancel();
      cancelled.push(handle);
    } catch (error) {
      // Also what the server answers for a run that already finished.
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  const deadline = Date.now() + options.closeWaitMs;
  for (const handle of cancelled) {
    while (Date.now() < deadline && (await handle.describe()).status.name === 'RUNNING') await sleep(100);
  }
}
