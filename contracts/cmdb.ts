// The CMDB watch-replay contract shared by the API, the workflows and the activities: how a source's watched
// resources and sinks are described, workflow inputs (ids only), signals, and the workflow/schedule ids.
import { defineSignal } from '@temporalio/workflow';

/** Resources opsflow mirrors and replays (the business > set > module > host topology and host relations). */
export const CMDB_REPLAY_RESOURCES = ['biz', 'set', 'module', 'host', 'host_relation'] as const;
export type CmdbReplayResource = (typeof CMDB_REPLAY_RESOURCES)[number];

export const CMDB_API_STYLES = ['native', 'esb', 'apigw'] as const;
export type CmdbApiStyle = (typeof CMDB_API_STYLES)[number];

export const CMDB_WATCH_MODES = ['realtime', 'interval'] as const;
export type CmdbWatchMode = (typeof CMDB_WATCH_MODES)[number];

export const CMDB_SINK_TYPES = ['topology', 'webhook', 'cloud-link'] as const;
export type CmdbSinkType = (typeof CMDB_SINK_TYPES)[number];

export const CMDB_CURSOR_STATES = ['starting', 'watching', 'recovering', 'failed'] as const;
export type CmdbCursorState = (typeof CMDB_CURSOR_STATES)[number];

/** A watched resource as stored on the source. */
export interface CmdbWatchedResource {
  resource: CmdbReplayResource;
  mode: CmdbWatchMode;
  /** Interval mode only: how often the schedule drains the resource to the tip. */
  intervalMinutes?: number;
  /** bk_fields; opsflow adds the fields its sinks need. */
  fields?: string[];
  /** bk_event_types; empty means all. */
  eventTypes?: Array<'create' | 'update' | 'delete'>;
}

/** A sink as stored on the source; webhook secrets are sealed (`cmdb_sink:<sinkId>`), never stored in clear. */
export type CmdbStoredSink =
  | { id: string; type: 'topology' }
  | { id: string; type: 'cloud-link' }
  | { id: string; type: 'webhook'; url: string; secretSealed: string; maxAttempts: number };

/** Attempts after which a webhook delivery is dead-lettered (visible and re-drivable through the API). */
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 8;

export interface CmdbWatchInput {
  sourceId: string;
  resource: CmdbReplayResource;
  mode: CmdbWatchMode;
  /** Polls done by earlier runs of this watcher (carried over continue-as-new). */
  polls?: number;
}

export interface CmdbReplayInput {
  sourceId: string;
  sinkId: string;
}

/** What one poll of a resource did; the watcher decides what comes next from it. */
export type CmdbPollOutcome =
  /** `drained`: CMDB had nothing more at the time it answered. `sinkIds`: whose replay to wake. */
  | { kind: 'stored'; received: number; stored: number; drained: boolean; sinkIds: string[] }
  /** No bookmark yet, or a resync was asked for: run the informer start. */
  | { kind: 'needs-start' }
  /** `resumeFrom`: a bk_start_from inside the window, or null when only a re-list can recover. */
  | { kind: 'cursor-expired'; resumeFrom: number | null }
  /** Permission, credentials or a broken answer: the watcher is marked failed with this detail and retries slowly. */
  | { kind: 'refused'; detail: string }
  | { kind: 'source-gone' };

export interface CmdbReplayOutcome {
  applied: number;
  /** More events are waiting (the batch was full), so replay again at once. */
  more: boolean;
  /** The sink is gone from the source: the replay workflow ends. */
  gone: boolean;
}

/** Sent by a watcher after it stored events, and by the API on a re-drive: replay has work. */
export const cmdbReplayWakeSignal = defineSignal('cmdbReplayWake');
/** Sent by the API: take a new bookmark and re-list the resource into the mirror. */
export const cmdbResyncSignal = defineSignal('cmdbResync');

export const cmdbWatchWorkflowId = (sourceId: string, resource: string) => `cmdb-watch:${sourceId}:${resource}`;
export const cmdbWatchScheduleId = cmdbWatchWorkflowId;
export const cmdbReplayWorkflowId = (sourceId: string, sinkId: string) => `cmdb-replay:${sourceId}:${sinkId}`;

/** Fields each resource's sinks need in bk_detail, added to whatever the user asked for. */
export const CMDB_REQUIRED_FIELDS: Record<CmdbReplayResource, string[]> = {
  biz: ['bk_biz_id', 'bk_biz_name', 'default'],
  set: ['bk_set_id', 'bk_set_name', 'bk_biz_id', 'default'],
  module: ['bk_module_id', 'bk_module_name', 'bk_set_id', 'bk_biz_id', 'default'],
  host: ['bk_host_id', 'bk_host_innerip', 'bk_host_name', 'bk_cloud_id', 'bk_cloud_inst_id'],
  host_relation: ['bk_biz_id', 'bk_set_id', 'bk_module_id', 'bk_host_id'],
};

/** bk_fields sent to CMDB: the user's fields plus what opsflow's sinks need, without duplicates, in a stable order. */
export function effectiveFields(resource: CmdbReplayResource, fields: readonly string[] | undefined): string[] {
  return [...new Set([...CMDB_REQUIRED_FIELDS[resource], ...(fields ?? [])])];
}
