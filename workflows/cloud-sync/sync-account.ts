// syncAccount: every configured resource type of one account (or the chosen ones), each as a child
// syncResourceType, a few at a time so the provider's rate limits hold. Started by the account's schedule or
// by a manual sync; its input is the account id only.
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { CloudSyncActivities } from '../../activities/cloud-sync/index.ts';
import { quickActivity } from '../../contracts/activity-profiles.ts';
import { resourceTypeWorkflowId, typeConcurrencyPerAccount } from '../../contracts/cloud-sync.ts';
import { nonRetryableCloudSyncFailures } from '../../contracts/failure-types.ts';
import type { SyncAccountInput, SyncAccountResult } from '../../contracts/cloud-sync.ts';
import { OpsAccountId, OpsProvider, OpsResourceType } from '../../contracts/search-attributes.ts';
import { inBatchesOf } from './bounded.ts';
import { syncResourceType } from './sync-resource-type.ts';

const { planAccountSync } = proxyActivities<CloudSyncActivities>({
  ...quickActivity,
  retry: { ...quickActivity.retry, nonRetryableErrorTypes: [...nonRetryableCloudSyncFailures] },
});

export async function syncAccount(input: SyncAccountInput): Promise<SyncAccountResult> {
  const plan = await planAccountSync(input);
  const parentId = workflowInfo().workflowId;
  const runs = await inBatchesOf(plan.resourceTypes, typeConcurrencyPerAccount, (resourceType) =>
    executeChild(syncResourceType, {
      workflowId: resourceTypeWorkflowId(parentId, resourceType),
      args: [{ accountId: input.accountId, resourceType }],
      typedSearchAttributes: [
        { key: OpsAccountId, value: input.accountId },
        { key: OpsProvider, value: plan.provider },
        { key: OpsResourceType, value: resourceType },
      ],
    }),
  );
  return { accountId: input.accountId, runs };
}
