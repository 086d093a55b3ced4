// One sync of one resource type of one account. Per-region counts and page checkpoints live in jsonb maps
// keyed by region, updated in the same transaction as each page's upsert, so a retried activity resumes exactly.
import { defineEntity, p } from '@mikro-orm/core';
import { CloudAccount } from './cloud-account.ts';

export const SYNC_RUN_STATES = ['running', 'succeeded', 'partially_failed', 'failed'] as const;
export type SyncRunState = (typeof SYNC_RUN_STATES)[number];

export interface RegionCounts {
  created: number;
  updated: number;
  unchanged: number;
  expired: number;
}

/** Where a region's listing stands; `pageToken` is the next page to fetch after `pages` committed pages. */
export interface RegionCheckpoint {
  state: 'listing' | 'succeeded' | 'failed';
  pages: number;
  pageToken?: string;
  /** Database time when the listing began; rows of the scope last seen before it are what the listing did not see. */
  listingStartedAt: string;
  error?: string;
}

const SyncRunSchema = defineEntity({
  name: 'SyncRun',
  tableName: 'sync_run',
  indexes: [{ properties: ['account', 'startedAt'] }],
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(CloudAccount).deleteRule('cascade'),
    provider: p.string(),
    resourceType: p.string(),
    state: p.enum(SYNC_RUN_STATES).default('running'),
    workflowId: p.string(),
    regions: p.json<string[]>(),
    counts: p.json<Record<string, RegionCounts>>(),
    checkpoints: p.json<Record<string, RegionCheckpoint>>(),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    error: p.text().nullable(),
  },
});

export class SyncRun extends SyncRunSchema.class {}
SyncRunSchema.setClass(SyncRun);
export { SyncRunSchema };
