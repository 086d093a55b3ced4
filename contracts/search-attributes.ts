// Typed search attributes that opsflow sets on its workflows, so the Web UI and `temporal workflow list
// --query` can filter by account, provider, project or plan. The dev stack registers each of them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OpsAccountId = defineSearchAttributeKey('OpsAccountId', SearchAttributeType.KEYWORD);
export const OpsProvider = defineSearchAttributeKey('OpsProvider', SearchAttributeType.KEYWORD);
export const OpsResourceType = defineSearchAttributeKey('OpsResourceType', SearchAttributeType.KEYWORD);
export const OpsCmdbSource = defineSearchAttributeKey('OpsCmdbSource', SearchAttributeType.KEYWORD);
export const OpsProject = defineSearchAttributeKey('OpsProject', SearchAttributeType.KEYWORD);
export const OpsPlanId = defineSearchAttributeKey('OpsPlanId', SearchAttributeType.KEYWORD);

export const OPS_SEARCH_ATTRIBUTES = [OpsAccountId, OpsProvider, OpsResourceType, OpsCmdbSource, OpsProject, OpsPlanId];
