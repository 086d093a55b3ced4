// syncResourceType: one sync run of one resource type of an account. Each region is one activity that pages
// through the provider internally (history stays small whatever the resource count); a region that fails is
// recorded and the others go on. The run ends succeeded, partially_failed or failed; cancelled, or failed with
// CloudAccountGoneError, when its account is deleted under it.
import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { CloudSyncActivities } from '../../activities/cloud-sync/index.ts';
import { longListing, quickActivity } from '../../contracts/activity-profiles.ts';
import { regionConcurrencyPerType } from '../../contracts/cloud-sync.ts';
import { CLOUD_FAILURES, nonRetryableCloudSyncFailures } from '../../contracts/failure-types.ts';
import type { RegionSyncResult, SyncResourceTypeInput, SyncRunResult } from '../../contracts/cloud-sync.ts';
import { inBatchesOf } from './bounded.ts';

const nonRetryableErrorTypes = [...nonRetryableCloudSyncFailures];

const { openSyncRun, recordRegionFailure, finishSyncRun, abandonSyncRun } = proxyActivities<CloudSyncActivities>({
  ...quickActivity,
  retry: { ...quickActivity.retry, nonRetryableErrorTypes },
});
const { resolveRegions, syncRegion } = proxyActivities<CloudSyncActivities>({
  ...longListing,
  retry: { ...longListing.retry, nonRetryableErrorTypes },
});

/** The innermost reason of an activity failure, as a person should read it. */
function reasonOf(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/**
 * A cancelled sync (its account is being deleted) or a deleted account ends the run here: there is no run row left
 * to record a region's failure in, and no retry can bring the account back.
 */
function endsTheRun(failure: unknown): boolean {
  return isCancellation(failure)
    || (failure instanceof ActivityFailure && failure.cause instanceof ApplicationFailure && failure.cause.type === CLOUD_FAILURES.accountGone);
}

export async function syncResourceType(input: SyncResourceTypeInput): Promise<SyncRunResult> {
  const runId = uuid4();
  await openSyncRun({ runId, accountId: input.accountId, resourceType: input.resourceType, workflowId: workflowInfo().workflowId });

  try {
    let regions: string[] = [];
    let error: string | undefined;
    try {
      ({ regions, error } = await resolveRegions({ runId }));
    } catch (failure) {
      if (endsTheRun(failure)) throw failure;
      error = `could not list the account's regions: ${reasonOf(failure)}`;
    }
    if (error === undefined) {
      await inBatchesOf(regions, regionConcurrencyPerType, async (region): Promise<RegionSyncResult> => {
        try {
          return await syncRegion({ runId, region });
        } catch (failure) {
          if (endsTheRun(failure)) throw failure;
          return recordRegionFailure({ runId, region, error: reasonOf(failure) });
        }
      });
    }
    return await finishSyncRun({ runId, ...(error === undefined ? {} : { error }) });
  } catch (failure) {
    // Cancelled (Web UI, CLI, account delete): the run says so instead of staying `running` forever. Regions that
    // did not complete expired nothing.
    if (isCancellation(failure)) {
      await CancellationScope.nonCancellable(() => abandonSyncRun({ runId, reason: 'cancelled before it finished; regions it did not complete expired nothing' }));
    }
    throw failure;
  }
}
