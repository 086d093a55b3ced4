// The cloud inventory sync's workflow contract: inputs (ids only), results, workflow and schedule ids (the failure
// types no retry can fix are in failure-types.ts).
import { z } from 'zod';

export const syncAccountInputSchema = z.object({
  accountId: z.uuid(),
  /** Subset of the account's resource types; all of them when absent. */
  resourceTypes: z.array(z.string().min(1)).optional(),
});
export type SyncAccountInput = z.infer<typeof syncAccountInputSchema>;

export interface SyncResourceTypeInput {
  accountId: string;
  resourceType: string;
}

export type RegionSyncState = 'succeeded' | 'failed';
export type SyncRunOutcome = 'succeeded' | 'partially_failed' | 'failed';

export interface SyncCounts {
  created: number;
  updated: number;
  unchanged: number;
  expired: number;
}

export interface RegionSyncResult {
  region: string;
  state: RegionSyncState;
  counts: SyncCounts;
  pages: number;
  error?: string;
}

export interface SyncRunResult {
  runId: string;
  resourceType: string;
  state: SyncRunOutcome;
  totals: SyncCounts;
}

export interface SyncAccountResult {
  accountId: string;
  runs: SyncRunResult[];
}

/** The Temporal schedule of an account; `temporal schedule trigger --schedule-id cloud-sync:<accountId>`. */
export const cloudSyncScheduleId = (accountId: string) => `cloud-sync:${accountId}`;
/** A manual sync of an account: one id, so asking again while it runs returns the running one. */
export const manualSyncWorkflowId = (accountId: string) => `cloud-sync:${accountId}`;
/** Children are named after their parent, so a scheduled run and a manual run never collide. */
export const resourceTypeWorkflowId = (parentWorkflowId: string, resourceType: string) => `${parentWorkflowId}:${resourceType}`;

/** Resource types synced at once per account, so a provider's rate limits hold. */
export const typeConcurrencyPerAccount = 3;
/** Regions listed at once per resource type. */
export const regionConcurrencyPerType = 4;
