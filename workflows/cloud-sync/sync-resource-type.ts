// syncResourceType: one sync run of one resource type of an account. Each region is one activity that pages
// through the provider internally (history stays small whatever the resource count); a region that fails is
// recorded and the others go on. The run ends succeeded, partially_failed or failed.
import { proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { CloudSyncActivities } from '../../activities/cloud-sync/index.ts';
import { longListing, quickActivity } from '../../contracts/activity-profiles.ts';
import { nonRetryableCloudSyncErrors, regionConcurrencyPerType } from '../../contracts/cloud-sync.ts';
import type { RegionSyncResult, SyncResourceTypeInput, SyncRunResult } from '../../contracts/cloud-sync.ts';
import { inBatchesOf } from './bounded.ts';

const nonRetryableErrorTypes = [...nonRetryableCloudSyncErrors];

const { openSyncRun, recordRegionFailure, finishSyncRun } = proxyActivities<CloudSyncActivities>({
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

export async function syncResourceType(input: SyncResourceTypeInput): Promise<SyncRunResult> {
  const runId = uuid4();
  await openSyncRun({ runId, accountId: input.accountId, resourceType: input.resourceType, workflowId: workflowInfo().workflowId });

  let regions: string[] = [];
  let error: string | undefined;
  try {
    ({ regions, error } = await resolveRegions({ runId }));
  } catch (failure) {
    error = `could not list the account's regions: ${reasonOf(failure)}`;
  }
  if (error === undefined) {
    await inBatchesOf(regions, regionConcurrencyPerType, async (region): Promise<RegionSyncResult> => {
      try {
        return await syncRegion({ runId, region });
      } catch (failure) {
        return recordRegionFailure({ runId, region, error: reasonOf(failure) });
      }
    });
  }
  return finishSyncRun({ runId, ...(error === undefined ? {} : { error }) });
}
