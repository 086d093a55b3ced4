// The emulator's watch side: one event chain per resource (ordered, cursor-addressed, cut by retention) and the
// rules by which CMDB's cache_service answers a resource_watch from it, quirks included.
import { CMDB_EVENT_TYPES, CMDB_RESOURCE_TYPE_IDS, RESOURCES_REQUIRING_FIELDS, isCmdbWatchResource } from '../types.ts';
import type { CmdbDetail, CmdbEventType, CmdbPermission, CmdbWatchEvent, CmdbWatchResource } from '../types.ts';

/** What CMDB answers when nothing is there; its current encoding. Sent back, it replays from the oldest retained event. */
export const NO_EVENT_CURSOR = 'MQ0xDTVlYTZkM2YzOTRjMWY1ZDk4NmU5YmQ4Ng1ub0V2ZW50DTENMQ0=';

const SUB_RESOURCE_ALLOWED: readonly CmdbWatchResource[] = ['object_instance', 'mainline_instance', 'inst_asst', 'kube_workload'];

const MONGO_OPERATION: Record<CmdbEventType, string> = { create: 'insert', update: 'update', delete: 'delete' };

/** A CMDB error an emulated call answers with (HTTP 200, result false). */
export class CmdbFault extends Error {
  override name = 'CmdbFault';
  readonly code: number;
  readonly permission: CmdbPermission | null;

  constructor(code: number, message: string, permission: CmdbPermission | null = null) {
    super(message);
    this.code = code;
    this.permission = permission;
  }
}

export interface ClusterTime {
  sec: number;
  inc: number;
}

export interface ChainNode {
  seq: number;
  cursor: string;
  eventType: CmdbEventType;
  clusterTime: ClusterTime;
  /** The document as of this event (v3.10–3.13 keep detail per cursor); the pre-delete one for deletes. */
  detail: CmdbDetail;
}

/** base64 of `1␍type␍oid␍mongo-op␍sec␍inc␍uniqKey` (src/common/watch/cursor.go). */
export function encodeCursor(resource: CmdbWatchResource, oid: string, eventType: CmdbEventType, clusterTime: ClusterTime): string {
  const fields = ['1', String(CMDB_RESOURCE_TYPE_IDS[resource]), oid, MONGO_OPERATION[eventType], String(clusterTime.sec), String(clusterTime.inc), ''];
  return Buffer.from(fields.join('\r')).toString('base64');
}

export class EventChain {
  readonly resource: CmdbWatchResource;
  readonly #retentionSeconds: number;
  /** Retained nodes, ascending seq (gap-free within the window, like CMDB's NextSequences ids). */
  #nodes: ChainNode[] = [];
  readonly #seqByCursor = new Map<string, number>();
  /** cc_WatchToken: the last node ever written stays addressable after the window has passed it. */
  #lastWritten: ChainNode | undefined;
  #nextSeq = 1;

  constructor(resource: CmdbWatchResource, retentionSeconds: number) {
    this.resource = resource;
    this.#retentionSeconds = retentionSeconds;
  }

  append(eventType: CmdbEventType, oid: string, clusterTime: ClusterTime, detail: CmdbDetail): ChainNode {
    const node: ChainNode = {
      seq: this.#nextSeq++,
      cursor: encodeCursor(this.resource, oid, eventType, clusterTime),
      eventType,
      clusterTime,
      detail: structuredClone(detail),
    };
    this.#nodes.push(node);
    this.#seqByCursor.set(node.cursor, node.seq);
    this.#lastWritten = node;
    return node;
  }

  get lastWritten(): ChainNode | undefined {
    return this.#lastWritten;
  }

  /** Drops what fell out of the window: CMDB ignores chain rows with cluster_time < now − TTL. */
  prune(nowSec: number): void {
    const oldestKept = nowSec - this.#retentionSeconds;
    let dropped = 0;
    while (dropped < this.#nodes.length && (this.#nodes[dropped]?.clusterTime.sec ?? Infinity) < oldestKept) {
      const node = this.#nodes[dropped];
      if (node) this.#seqByCursor.delete(node.cursor);
      dropped += 1;
    }
    if (dropped > 0) this.#nodes = this.#nodes.slice(dropped);
  }

  retained(): readonly ChainNode[] {
    return this.#nodes;
  }

  /** The seq a cursor stands for, or undefined when CMDB would answer 1103007. */
  seqOf(cursor: string): number | undefined {
    const seq = this.#seqByCursor.get(cursor);
    if (seq !== undefined) return seq;
    return cursor === this.#lastWritten?.cursor ? this.#lastWritten.seq : undefined;
  }

  after(seq: number): ChainNode[] {
    const first = this.#nodes.findIndex((node) => node.seq > seq);
    return first === -1 ? [] : this.#nodes.slice(first);
  }
}

export interface WatchRequest {
  resource: CmdbWatchResource;
  cursor: string;
  startFrom: number;
  eventTypes: CmdbEventType[];
  fields: string[];
}

export interface RawWatchBody {
  bk_cursor?: string | undefined;
  bk_start_from?: number | undefined;
  bk_event_types?: string[] | null | undefined;
  bk_fields?: string[] | null | undefined;
  bk_filter?: { bk_sub_resource?: string | undefined } | null | undefined;
}

/** watch.WatchEventOptions.Validate plus the cursor/start-from exclusion; every failure is a plain Go error → 1199998. */
export function validateWatchRequest(resourceName: string, body: RawWatchBody): WatchRequest {
  const unrecognized = (message: string) => new CmdbFault(1199998, message);
  if (!isCmdbWatchResource(resourceName)) throw unrecognized(`unsupported cursor type ${resourceName}`);
  const resource = resourceName;
  const eventTypes: CmdbEventType[] = [];
  for (const type of body.bk_event_types ?? []) {
    if (!(CMDB_EVENT_TYPES as readonly string[]).includes(type)) throw unrecognized(`unsupported event type: ${type}`);
    eventTypes.push(type as CmdbEventType);
  }
  const fields = body.bk_fields ?? [];
  if (fields.length === 0 && RESOURCES_REQUIRING_FIELDS.includes(resource)) {
    throw unrecognized(`${resource} event must have fields`);
  }
  if (body.bk_filter?.bk_sub_resource && !SUB_RESOURCE_ALLOWED.includes(resource)) {
    throw unrecognized(`${resource} event cannot have sub resource`);
  }
  const cursor = body.bk_cursor ?? '';
  const startFrom = body.bk_start_from ?? 0;
  if (cursor !== '' && startFrom !== 0) throw unrecognized('bk_start_from and bk_cursor can not use at the same time');
  return { resource, cursor, startFrom, eventTypes, fields };
}

export type WatchOutcome =
  | { kind: 'events'; events: CmdbWatchEvent[] }
  | { kind: 'no-event'; cursor: string }
  /** Cursor mode found nothing: hold the request, and answer the placeholder with this cursor if nothing comes. */
  | { kind: 'pending'; cursorOnTimeout: string };

export interface ChainReadLimits {
  nowSec: number;
  retentionSeconds: number;
  maxEventsPerCall: number;
}

/** One pass of cache_service's watchEvent: cursor mode, else start-from mode, else from-now mode. */
export function readWatch(chain: EventChain, request: WatchRequest, limits: ChainReadLimits): WatchOutcome {
  chain.prune(limits.nowSec);
  const matches = (node: ChainNode) => request.eventTypes.length === 0 || request.eventTypes.includes(node.eventType);
  const toEvent = (node: ChainNode): CmdbWatchEvent => ({
    bk_cursor: node.cursor,
    bk_resource: chain.resource,
    bk_event_type: node.eventType,
    bk_detail: project(node.detail, request.fields),
  });

  if (request.cursor !== '') {
    let following: readonly ChainNode[];
    if (request.cursor === NO_EVENT_CURSOR) {
      // Quirk: NoEventCursor means "from the oldest retained event", not "from now".
      following = chain.retained();
    } else {
      const seq = chain.seqOf(request.cursor);
      if (seq === undefined) throw new CmdbFault(1103007, 'Event chain node not exist');
      following = chain.after(seq);
    }
    const matched = following.filter(matches).slice(0, limits.maxEventsPerCall);
    if (matched.length > 0) return { kind: 'events', events: matched.map(toEvent) };
    // On timeout CMDB hands out the chain tail, skipping non-matching events; an empty chain returns your own cursor.
    return { kind: 'pending', cursorOnTimeout: chain.lastWritten?.cursor ?? request.cursor };
  }

  if (request.startFrom !== 0) {
    const age = limits.nowSec - request.startFrom;
    if (age < 0 || age > limits.retentionSeconds) {
      throw new CmdbFault(1199006, "'bk_start_from' data parameter verification does not pass");
    }
    const fromTime = chain.retained().filter((node) => node.clusterTime.sec >= request.startFrom);
    if (fromTime.length > 0) {
      // The first matching node plus maxEventsPerCall more: up to 201 in start-from mode.
      const matched = fromTime.filter(matches).slice(0, limits.maxEventsPerCall + 1);
      if (matched.length > 0) return { kind: 'events', events: matched.map(toEvent) };
      return { kind: 'no-event', cursor: chain.lastWritten?.cursor ?? NO_EVENT_CURSOR };
    }
    // bk_start_from newer than the last event: the same answer as from-now.
  }

  // From now: the newest stored event itself with its detail, not a pure bookmark.
  const newest = chain.lastWritten;
  if (!newest || !matches(newest)) return { kind: 'no-event', cursor: NO_EVENT_CURSOR };
  return { kind: 'events', events: [toEvent(newest)] };
}

/** bk_fields keeps exactly the requested keys in request order; missing ones come back null (CutJsonDataWithFields). */
function project(detail: CmdbDetail, fields: string[]): CmdbDetail {
  if (fields.length === 0) return structuredClone(detail);
  return Object.fromEntries(fields.map((field) => [field, Object.hasOwn(detail, field) ? structuredClone(detail[field]) : null]));
}
