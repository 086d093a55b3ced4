// Shapes of BlueKing CMDB's resource_watch and re-list APIs, named as CMDB names them on the wire.
// Both the client and the emulator use these; they follow BlueKing CMDB's documented resource_watch contract (event envelope, cursors, error codes).
import { z } from 'zod';

/** Watchable resources and their cursor type ids (src/common/watch/cursor.go). */
export const CMDB_RESOURCE_TYPE_IDS = {
  host: 2,
  host_relation: 3,
  biz: 4,
  set: 5,
  module: 6,
  object_instance: 8,
  process: 9,
  process_instance_relation: 10,
  host_identifier: 11,
  mainline_instance: 12,
  inst_asst: 13,
  biz_set: 14,
  biz_set_relation: 15,
  plat: 16,
  kube_cluster: 17,
  kube_node: 18,
  kube_namespace: 19,
  kube_workload: 20,
  kube_pod: 21,
  project: 22,
} as const;

export type CmdbWatchResource = keyof typeof CMDB_RESOURCE_TYPE_IDS;

export const CMDB_WATCH_RESOURCES = Object.keys(CMDB_RESOURCE_TYPE_IDS) as CmdbWatchResource[];

export function isCmdbWatchResource(value: string): value is CmdbWatchResource {
  return Object.hasOwn(CMDB_RESOURCE_TYPE_IDS, value);
}

/** CMDB rejects a watch of these without a non-empty bk_fields ("<res> event must have fields"). */
export const RESOURCES_REQUIRING_FIELDS: readonly CmdbWatchResource[] = ['host', 'biz', 'set', 'module'];

export const CMDB_EVENT_TYPES = ['create', 'update', 'delete'] as const;
export type CmdbEventType = (typeof CMDB_EVENT_TYPES)[number];

/** Body of a resource_watch call (watch.WatchEventOptions). bk_cursor and bk_start_from are mutually exclusive. */
export interface ResourceWatchRequest {
  bk_resource: CmdbWatchResource;
  /** Continue after this event; long-polls (~20 s on a real CMDB) when nothing newer exists. */
  bk_cursor?: string;
  /** Replay from this unix time in seconds; must lie within the retention window (6 h in code, 3 h in the docs). */
  bk_start_from?: number;
  /** Subset of create/update/delete; empty or absent means all. */
  bk_event_types?: CmdbEventType[];
  /** Projection of bk_detail; mandatory for host, biz, set and module. Include the id field yourself. */
  bk_fields?: string[];
  /** Only for object_instance / mainline_instance (a bk_obj_id), inst_asst and kube_workload. */
  bk_filter?: { bk_sub_resource?: string };
}

export type CmdbDetail = Record<string, unknown>;

/** One real change event. The no-event placeholder is never surfaced as one of these. */
export interface CmdbWatchEvent {
  bk_cursor: string;
  bk_resource: CmdbWatchResource;
  bk_event_type: CmdbEventType;
  /** The document projected by bk_fields; for delete events the pre-delete document. */
  bk_detail: CmdbDetail;
}

export interface ResourceWatchResult {
  /** data.bk_watched: false means nothing matched and `events` is empty. */
  watched: boolean;
  /** Real events, oldest first (at most 200, 201 in start-from mode). */
  events: CmdbWatchEvent[];
  /**
   * Where to continue: the last event's cursor, or the cursor the no-event placeholder carried. It can be
   * CMDB's NoEventCursor, which, sent back, replays from the oldest retained event, so consumers must be idempotent.
   */
  cursor: string;
}

/** `page` of the re-list APIs. */
export interface CmdbPageRequest {
  start: number;
  limit: number;
  /** Field to sort by, `-field` for descending. */
  sort?: string;
}

/** One page of a re-list answer. `count` is the total at the time of this call (lists are not snapshot-consistent). */
export interface CmdbPage<T> {
  count: number;
  start: number;
  items: T[];
}

export interface SearchBusinessQuery {
  fields?: string[];
  condition?: Record<string, unknown>;
  page: CmdbPageRequest;
}

export interface SearchSetQuery {
  bk_biz_id: number;
  fields?: string[];
  condition?: Record<string, unknown>;
  page: CmdbPageRequest;
}

export interface SearchModuleQuery {
  bk_biz_id: number;
  /** 0 (the default) means every set of the business. */
  bk_set_id?: number;
  fields?: string[];
  condition?: Record<string, unknown>;
  page: CmdbPageRequest;
}

export interface ListBizHostsQuery {
  bk_biz_id: number;
  bk_set_ids?: number[];
  bk_module_ids?: number[];
  fields?: string[];
  page: CmdbPageRequest;
}

export interface FindHostTopoRelationQuery {
  bk_biz_id: number;
  bk_set_ids?: number[];
  bk_module_ids?: number[];
  bk_host_ids?: number[];
  page: CmdbPageRequest;
}

// Documents as CMDB stores them. Custom attributes also appear and `fields` projects the rest away, so the
// schemas hold the objects loosely and require only what identifies them.
export const cmdbBusinessSchema = z.looseObject({ bk_biz_id: z.number().int() });
export type CmdbBusiness = z.infer<typeof cmdbBusinessSchema>;

export const cmdbSetSchema = z.looseObject({ bk_set_id: z.number().int() });
export type CmdbSet = z.infer<typeof cmdbSetSchema>;

export const cmdbModuleSchema = z.looseObject({ bk_module_id: z.number().int() });
export type CmdbModule = z.infer<typeof cmdbModuleSchema>;

/** IPs and operators are comma-joined strings on the wire, though CMDB stores them as arrays. */
export const cmdbHostSchema = z.looseObject({ bk_host_id: z.number().int() });
export type CmdbHost = z.infer<typeof cmdbHostSchema>;

/** A row of cc_ModuleHostConfig: the host_relation watch detail and the find_host_topo_relation item. */
export const cmdbHostRelationSchema = z.looseObject({
  bk_biz_id: z.number().int(),
  bk_set_id: z.number().int(),
  bk_module_id: z.number().int(),
  bk_host_id: z.number().int(),
});
export type CmdbHostRelation = z.infer<typeof cmdbHostRelationSchema>;

/** The `permission` object of a 9900403 answer: the IAM actions to apply for. */
export const cmdbPermissionSchema = z.looseObject({
  system_id: z.string(),
  system_name: z.string().optional(),
  actions: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string().optional(),
      related_resource_types: z.array(z.unknown()).nullish(),
    }),
  ),
});
export type CmdbPermission = z.infer<typeof cmdbPermissionSchema>;
