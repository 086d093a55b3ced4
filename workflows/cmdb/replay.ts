// Replay of one sink of one CMDB source (`cmdb-replay:<sourceId>:<sinkId>`): applies stored events from the sink's
// own position whenever a watcher wakes it (or every few seconds regardless), so a sink that is down is retried
// with backoff without holding up the other sinks or the watchers.
import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CmdbReplayActivities } from '../../activities/cmdb/replay.ts';
import { cmdbReplay } from '../../contracts/activity-profiles.ts';
import { cmdbReplayWakeSignal, type CmdbReplayInput } from '../../contracts/cmdb.ts';

const { replayCmdbSink } = proxyActivities<CmdbReplayActivities>(cmdbReplay);

const ROUNDS_PER_RUN = 500;
/** Without a wake signal (a watcher on another worker, a signal lost to continue-as-new) replay still looks this often. */
const IDLE_CHECK = '10 seconds';

export async function cmdbReplayWorkflow(input: CmdbReplayInput): Promise<void> {
  let woken = false;
  setHandler(cmdbReplayWakeSignal, () => {
    woken = true;
  });
  for (let round = 0; round < ROUNDS_PER_RUN; round += 1) {
    woken = false;
    const outcome = await replayCmdbSink(input);
    if (outcome.gone) return;
    if (!outcome.more) await condition(() => woken, IDLE_CHECK);
  }
  await continueAsNew<typeof cmdbReplayWorkflow>(input);
}
