// Read side of CMDB watch replay for the API: per-resource watcher status with per-sink counts, and the event
// list with each sink's delivery state.
import type { Orm } from '../../orm.ts';
import type { CmdbStoredSink } from '../../../contracts/cmdb.ts';
import type { CmdbEventSinkTrouble } from '../../entities/cmdb/cmdb-event.ts';

export const CMDB_SINK_STATES = ['pending', 'applied', 'failed', 'dead'] as const;
export type CmdbSinkState = (typeof CMDB_SINK_STATES)[number];

export interface CursorReport {
  resource: string;
  cursor: string | null;
  state: string;
  stateDetail: string | null;
  lastSeq: number;
  lastEventAt: Date | null;
  caughtUpAt: Date | null;
  lastRelistAt: Date | null;
  updatedAt: Date;
}

export interface SinkReport {
  sinkId: string;
  resource: string;
  appliedSeq: number;
  failed: number;
  dead: number;
  oldestPendingAt: Date | null;
}

export async function cursorReports(orm: Orm, sourceId: string): Promise<CursorReport[]> {
  const rows = await orm.em.fork().execute<Array<Record<string, unknown>>>(
    `select resource, cursor, state, state_detail, last_seq, last_event_at, caught_up_at, last_relist_at, updated_at
     from cmdb_cursor where source_id = ?`,
    [sourceId],
  );
  const date = (value: unknown) => (value ? new Date(value as string) : null);
  return rows.map((row) => ({
    resource: row.resource as string,
    cursor: (row.cursor as string | null) ?? null,
    state: row.state as string,
    stateDetail: (row.state_detail as string | null) ?? null,
    lastSeq: Number(row.last_seq),
    lastEventAt: date(row.last_event_at),
    caughtUpAt: date(row.caught_up_at),
    lastRelistAt: date(row.last_relist_at),
    updatedAt: new Date(row.updated_at as string),
  }));
}

export async function sinkReports(orm: Orm, sourceId: string): Promise<SinkReport[]> {
  const rows = await orm.em.fork().execute<Array<Record<string, unknown>>>(
    `select sc.sink_id, sc.resource, sc.applied_seq,
       (select count(*) from cmdb_event e where e.source_id = sc.source_id and e.resource = sc.resource
          and e.sink_states -> sc.sink_id::text ->> 'state' = 'failed' and e.seq > sc.applied_seq) as failed,
       (select count(*) from cmdb_event e where e.source_id = sc.source_id and e.resource = sc.resource
          and e.sink_states -> sc.sink_id::text ->> 'state' in ('dead', 'redrive')) as dead,
       (select min(e.received_at) from cmdb_event e where e.source_id = sc.source_id and e.resource = sc.resource
          and e.seq > sc.applied_seq) as oldest_pending_at
     from cmdb_sink_cursor sc where sc.source_id = ?`,
    [sourceId],
  );
  return rows.map((row) => ({
    sinkId: row.sink_id as string,
    resource: row.resource as string,
    appliedSeq: Number(row.applied_seq),
    failed: Number(row.failed),
    dead: Number(row.dead),
    oldestPendingAt: row.oldest_pending_at ? new Date(row.oldest_pending_at as string) : null,
  }));
}

export interface EventQuery {
  sourceId?: string;
  resource?: string;
  type?: string;
  sinkState?: CmdbSinkState;
  sinkId?: string;
  limit: number;
}

export interface EventReport {
  id: string;
  sourceId: string;
  resource: string;
  seq: number;
  cursor: string;
  eventType: string;
  detail: Record<string, unknown>;
  receivedAt: Date;
  sinks: Array<{ sinkId: string; type: string; state: CmdbSinkState; attempts: number; lastError: string | null }>;
}

/** A sink's state for one event: its trouble entry if it has one, else whether its position has passed the event. */
export function sinkStateOf(seq: number, appliedSeq: number, trouble: CmdbEventSinkTrouble | undefined): CmdbSinkState {
  if (trouble?.state === 'dead' || trouble?.state === 'redrive') return 'dead';
  if (trouble?.state === 'redriven' || seq <= appliedSeq) return 'applied';
  if (trouble?.state === 'failed') return 'failed';
  return 'pending';
}

/** Newest first. The sink-state filter is applied per sink (any sink, or `sinkId`). */
export async function listEvents(orm: Orm, query: EventQuery, sinksOf: (sourceId: string) => Promise<CmdbStoredSink[]>): Promise<EventReport[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const filter = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (query.sourceId) filter('e.source_id = ?', query.sourceId);
  if (query.resource) filter('e.resource = ?', query.resource);
  if (query.type) filter('e.event_type = ?', query.type);
  const sinkFilter = query.sinkId ? ' and sc.sink_id = ?' : '';
  const troubleFilter = query.sinkId ? ' and t.key = ?' : '';
  switch (query.sinkState) {
    case 'dead':
      where.push(`exists (select 1 from jsonb_each(e.sink_states) t where t.value ->> 'state' in ('dead', 'redrive')${troubleFilter})`);
      if (query.sinkId) params.push(query.sinkId);
      break;
    case 'failed':
      where.push(`exists (select 1 from jsonb_each(e.sink_states) t join cmdb_sink_cursor sc on sc.source_id = e.source_id
        and sc.resource = e.resource and sc.sink_id::text = t.key where t.value ->> 'state' = 'failed' and e.seq > sc.applied_seq${troubleFilter})`);
      if (query.sinkId) params.push(query.sinkId);
      break;
    case 'pending':
      where.push(`exists (select 1 from cmdb_sink_cursor sc where sc.source_id = e.source_id and sc.resource = e.resource
        and e.seq > sc.applied_seq and coalesce(e.sink_states -> sc.sink_id::text ->> 'state', '') <> 'failed'${sinkFilter})`);
      if (query.sinkId) params.push(query.sinkId);
      break;
    case 'applied':
      where.push(`exists (select 1 from cmdb_sink_cursor sc where sc.source_id = e.source_id and sc.resource = e.resource
        and e.seq <= sc.applied_seq and coalesce(e.sink_states -> sc.sink_id::text ->> 'state', '') not in ('dead', 'redrive')${sinkFilter})`);
      if (query.sinkId) params.push(query.sinkId);
      break;
    default:
      break;
  }
  const rows = await orm.em.fork().execute<Array<Record<string, unknown>>>(
    `select e.id, e.source_id, e.resource, e.seq, e.cursor, e.event_type, e.detail, e.received_at, e.sink_states from cmdb_event e
     ${where.length ? `where ${where.join(' and ')}` : ''} order by e.received_at desc, e.seq desc limit ?`,
    [...params, query.limit],
  );
  const positions = new Map<string, number>();
  const sourceIds = [...new Set(rows.map((row) => row.source_id as string))];
  const sinks = new Map<string, CmdbStoredSink[]>();
  for (const sourceId of sourceIds) {
    sinks.set(sourceId, await sinksOf(sourceId));
    for (const report of await sinkReports(orm, sourceId)) positions.set(`${sourceId}:${report.sinkId}:${report.resource}`, report.appliedSeq);
  }
  return rows.map((row) => {
    const sourceId = row.source_id as string;
    const resource = row.resource as string;
    const seq = Number(row.seq);
    const troubles = (row.sink_states as Record<string, CmdbEventSinkTrouble>) ?? {};
    return {
      id: row.id as string,
      sourceId,
      resource,
      seq,
      cursor: row.cursor as string,
      eventType: row.event_type as string,
      detail: row.detail as Record<string, unknown>,
      receivedAt: new Date(row.received_at as string),
      sinks: (sinks.get(sourceId) ?? []).map((sink) => {
        const trouble = troubles[sink.id];
        return {
          sinkId: sink.id,
          type: sink.type,
          state: sinkStateOf(seq, positions.get(`${sourceId}:${sink.id}:${resource}`) ?? 0, trouble),
          attempts: trouble?.attempts ?? 0,
          lastError: trouble?.lastError ?? null,
        };
      }),
    };
  });
}
