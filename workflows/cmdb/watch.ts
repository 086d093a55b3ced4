// Watcher of one resource of one CMDB source (`cmdb-watch:<sourceId>:<resource>`): long-polls through an activity
// that stores each batch with its cursor, wakes the sinks' replays, and recovers from an expired cursor by itself —
// bk_start_from while the last caught-up time is inside the window, else bookmark + re-list — never by retrying
// the dead cursor. Realtime watchers run forever (continue-as-new); interval runs stop once drained to the tip.
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CmdbWatchActivities } from '../../activities/cmdb/watch.ts';
import { cmdbLongPoll, cmdbRelist } from '../../contracts/activity-profiles.ts';
import {
  cmdbReplayWakeSignal,
  cmdbReplayWorkflowId,
  cmdbResyncSignal,
  type CmdbPollOutcome,
  type CmdbWatchInput,
} from '../../contracts/cmdb.ts';

const { pollCmdbResource, resumeCmdbResource } = proxyActivities<CmdbWatchActivities>(cmdbLongPoll);
const { startCmdbResource } = proxyActivities<CmdbWatchActivities>(cmdbRelist);

/** Polls per run before continuing as new: ~10 history events each keeps a run far below the limits. */
const POLLS_PER_RUN = 300;
/** A refused watch (permission, credentials) is retried slowly: from 30 s, doubling, up to 10 minutes. */
const REFUSED_FIRST_WAIT_MS = 30_000;
const REFUSED_MAX_WAIT_MS = 10 * 60_000;

export async function cmdbWatchWorkflow(input: CmdbWatchInput): Promise<void> {
  const ref = { sourceId: input.sourceId, resource: input.resource };
  let resyncRequested = false;
  setHandler(cmdbResyncSignal, () => {
    resyncRequested = true;
  });
  let refusals = 0;
  let polls = 0;

  async function wake(outcome: CmdbPollOutcome): Promise<void> {
    if (outcome.kind !== 'stored') return;
    await Promise.all(
      outcome.sinkIds.map((sinkId) =>
        // A replay that is not running catches up by itself when it starts; the wake is only a shortcut.
        getExternalWorkflowHandle(cmdbReplayWorkflowId(input.sourceId, sinkId))
          .signal(cmdbReplayWakeSignal)
          .catch(() => undefined),
      ),
    );
  }

  for (;;) {
    let outcome: CmdbPollOutcome;
    if (resyncRequested) {
      resyncRequested = false;
      outcome = await startCmdbResource(ref);
    } else {
      outcome = await pollCmdbResource(ref);
    }
    polls += 1;
    if (outcome.kind === 'needs-start') outcome = await startCmdbResource(ref);
    if (outcome.kind === 'cursor-expired') {
      if (outcome.resumeFrom !== null) outcome = await resumeCmdbResource({ ...ref, startFrom: outcome.resumeFrom });
      if (outcome.kind === 'cursor-expired') outcome = await startCmdbResource(ref);
    }

    switch (outcome.kind) {
      case 'source-gone':
        return;
      case 'refused': {
        const waitMs = Math.min(REFUSED_FIRST_WAIT_MS * 2 ** refusals, REFUSED_MAX_WAIT_MS);
        refusals += 1;
        // A resync (e.g. after the permission was granted) cuts the wait short.
        await condition(() => resyncRequested, waitMs);
        break;
      }
      case 'stored':
        refusals = 0;
        await wake(outcome);
        if (input.mode === 'interval' && outcome.drained) return;
        break;
      default:
        break;
    }

    if (input.mode === 'realtime' && (polls >= POLLS_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof cmdbWatchWorkflow>({ ...input, polls: (input.polls ?? 0) + polls });
    }
  }
}
