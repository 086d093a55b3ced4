// Stored CMDB events and the positions around them: a watcher stores a batch together with its new cursor in one
// transaction (de-duplicated on the cursor), and each sink moves its own position through them in order.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../orm.ts';
import { boundQuery } from '../../bound-query.ts';
import type { CmdbEventSinkTrouble } from '../../entities/cmdb/cmdb-event.ts';
import type { CmdbCursorState } from '../../../contracts/cmdb.ts';

export interface IncomingCmdbEvent {
  cursor: string;
  eventType: string;
  detail: Record<string, unknown>;
}

export interface StoredCmdbEvent {
  id: string;
  seq: number;
  cursor: string;
  eventType: string;
  detail: Record<string, unknown>;
  receivedAt: Date;
  sinkStates: Record<string, CmdbEventSinkTrouble>;
}

export interface CursorPosition {
  cursor: string | null;
  lastSeq: number;
  caughtUpAt: Date | null;
  relistRequested: boolean;
  state: CmdbCursorState;
}

/** The cursor row of (source, resource), created in state `starting` when missing. */
export async function ensureCursorRow(orm: Orm, sourceId: string, resource: string): Promise<CursorPosition> {
  const em = orm.em.fork();
  await em.execute(
    `insert into cmdb_cursor (id, source_id, resource, last_seq, state, relist_requested, updated_at)
     values (gen_random_uuid(), ?, ?, 0, 'starting', false, now()) on conflict (source_id, resource) do nothing`,
    [sourceId, resource],
  );
  const [row] = await em.execute<Array<Record<string, unknown>>>(
    'select cursor, last_seq, caught_up_at, relist_requested, state from cmdb_cursor where source_id = ? and resource = ?',
    [sourceId, resource],
  );
  return {
    cursor: (row?.cursor as string | null) ?? null,
    lastSeq: Number(row?.last_seq ?? 0),
    caughtUpAt: row?.caught_up_at ? new Date(row.caught_up_at as string) : null,
    relistRequested: Boolean(row?.relist_requested),
    state: (row?.state as CmdbCursorState) ?? 'starting',
  };
}

export interface StoreBatch {
  sourceId: string;
  resource: string;
  events: IncomingCmdbEvent[];
  /** Where the watch continues after this batch. */
  cursor: string;
  receivedAt: Date;
  /** Set when this answer proves opsflow had every event as of this time. */
  caughtUpAt: Date | null;
  /**
   * The cursor the answer continues from. When the stored cursor is no longer this one (a resync reset it, or an
   * abandoned attempt of a poll finishes late) the batch is dropped: the next poll fetches from the stored cursor.
   */
  expectedCursor?: string;
}

/**
 * One statement: lock the cursor row, check it is still the one the answer continues from, number the events after
 * last_seq, insert them and move the cursor. Duplicates are detected by the unique cursor index itself (ON CONFLICT,
 * a probe per event whatever the planner believes about the table) and make the caller roll back and take the slow
 * path, which filters them out first, so sequence numbers stay gap-free.
 */
const STORE_BATCH_SQL = `
  with cur as (
    select last_seq, cursor from cmdb_cursor where source_id = $1 and resource = $2 for update
  ), ok as (
    select last_seq from cur where $6::text is null or coalesce(cur.cursor, '') = $6::text
  ), fresh as (
    select x.cursor, x.event_type, x.detail, (select last_seq from ok) + x.ord as seq
    from jsonb_to_recordset($4::jsonb) as x(ord int, cursor text, event_type text, detail jsonb)
    where exists (select 1 from ok)
  ), inserted as (
    insert into cmdb_event (id, source_id, resource, seq, cursor, event_type, detail, received_at, sink_states)
    select gen_random_uuid(), $1, $2, fresh.seq, fresh.cursor, fresh.event_type, fresh.detail, $3::timestamptz, '{}'::jsonb from fresh
    on conflict (source_id, resource, cursor) do nothing
    returning 1
  ), moved as (
    update cmdb_cursor c set cursor = $5, last_seq = ok.last_seq + (select count(*) from fresh), state = 'watching',
      state_detail = null, updated_at = now(),
      last_event_at = case when exists (select 1 from fresh) then $3::timestamptz else c.last_event_at end,
      caught_up_at = coalesce($7::timestamptz, c.caught_up_at)
    from ok where c.source_id = $1 and c.resource = $2
    returning c.last_seq
  )
  select (select count(*) from fresh) as numbered, (select count(*) from inserted) as stored,
    coalesce((select last_seq from moved), (select last_seq from cur), 0) as last_seq`;

/** Rolls back a store that met already stored cursors (only a concurrent store of the same batch makes the slow path throw it). */
class DuplicateCursors extends Error {}

/**
 * Stores the batch and the new cursor atomically. Events whose cursor is already stored (a retried activity, a
 * bk_start_from resume, CMDB's own duplicates) are skipped, so each event gets exactly one sequence number.
 */
export async function storeCmdbBatch(orm: Orm, batch: StoreBatch): Promise<{ stored: number; lastSeq: number }> {
  // CMDB collapses events with identical cursors (last wins); do the same within one answer.
  const byCursor = new Map<string, IncomingCmdbEvent>();
  for (const event of batch.events) {
    byCursor.delete(event.cursor);
    byCursor.set(event.cursor, event);
  }
  const store = async (tx: EntityManager, events: IncomingCmdbEvent[]) => {
    const numbered = JSON.stringify(events.map((event, index) => ({ ord: index + 1, cursor: event.cursor, event_type: event.eventType, detail: event.detail })));
    const [row] = await boundQuery<{ numbered: string; stored: string; last_seq: string }>(tx, STORE_BATCH_SQL, [
      batch.sourceId, batch.resource, batch.receivedAt, numbered, batch.cursor, batch.expectedCursor ?? null, batch.caughtUpAt,
    ]);
    // No cursor row (the source or resource was removed while the poll was out) or a cursor that moved on numbers
    // nothing and keeps nothing; fewer stored than numbered means some cursors were already stored.
    if (Number(row?.stored ?? 0) !== Number(row?.numbered ?? 0)) throw new DuplicateCursors();
    return { stored: Number(row?.stored ?? 0), lastSeq: Number(row?.last_seq ?? 0) };
  };
  const candidates = [...byCursor.values()];
  try {
    return await orm.em.fork().transactional((tx) => store(tx, candidates));
  } catch (error) {
    if (!(error instanceof DuplicateCursors)) throw error;
  }
  return orm.em.fork().transactional(async (tx) => {
    await tx.execute('select 1 from cmdb_cursor where source_id = ? and resource = ? for update', [batch.sourceId, batch.resource]);
    const existing = await boundQuery<{ cursor: string }>(
      tx,
      'select cursor from cmdb_event where source_id = $1 and resource = $2 and cursor = any($3::text[])',
      [batch.sourceId, batch.resource, candidates.map((event) => event.cursor)],
    );
    const known = new Set(existing.map(({ cursor }) => cursor));
    return store(tx, candidates.filter((event) => !known.has(event.cursor)));
  });
}

export async function setCursorState(
  orm: Orm,
  sourceId: string,
  resource: string,
  state: CmdbCursorState,
  detail: string | null,
): Promise<void> {
  await orm.em.fork().execute(
    'update cmdb_cursor set state = ?, state_detail = ?, updated_at = now() where source_id = ? and resource = ?',
    [state, detail, sourceId, resource],
  );
}

export async function requestRelist(orm: Orm, sourceId: string): Promise<void> {
  await orm.em.fork().execute('update cmdb_cursor set relist_requested = true where source_id = ?', [sourceId]);
}

/** Locks the sink's position on a resource for the rest of the transaction, creating it at 0 when missing. */
export async function lockSinkPosition(tx: EntityManager, sourceId: string, sinkId: string, resource: string): Promise<number> {
  await tx.execute(
    `insert into cmdb_sink_cursor (id, source_id, sink_id, resource, applied_seq, updated_at)
     values (gen_random_uuid(), ?, ?, ?, 0, now()) on conflict (source_id, sink_id, resource) do nothing`,
    [sourceId, sinkId, resource],
  );
  const [row] = await tx.execute<Array<{ applied_seq: string }>>(
    'select applied_seq from cmdb_sink_cursor where source_id = ? and sink_id = ? and resource = ? for update',
    [sourceId, sinkId, resource],
  );
  return Number(row?.applied_seq ?? 0);
}

export async function moveSinkPosition(tx: EntityManager, sourceId: string, sinkId: string, resource: string, appliedSeq: number): Promise<void> {
  await tx.execute(
    `update cmdb_sink_cursor set applied_seq = greatest(applied_seq, ?), updated_at = now()
     where source_id = ? and sink_id = ? and resource = ?`,
    [appliedSeq, sourceId, sinkId, resource],
  );
}

/**
 * Claims (or renews) the right to deliver the next events of (sink, resource) for `leaseMs`, creating the position
 * at 0 when missing; returns the position, or undefined while another holder's lease runs. A lease, not a row lock:
 * a webhook call can take seconds, and a transaction held open across it would pin a connection and block every
 * writer of the row. An expired lease (its holder crashed or stalled) is taken over; the holder's own writes are
 * fenced by `holder` (moveLeasedSinkPosition).
 */
export async function claimSinkPosition(orm: Orm, sourceId: string, sinkId: string, resource: string, holder: string, leaseMs: number): Promise<number | undefined> {
  const em = orm.em.fork();
  await em.execute(
    `insert into cmdb_sink_cursor (id, source_id, sink_id, resource, applied_seq, updated_at)
     values (gen_random_uuid(), ?, ?, ?, 0, now()) on conflict (source_id, sink_id, resource) do nothing`,
    [sourceId, sinkId, resource],
  );
  const [claimed] = await em.execute<Array<{ applied_seq: string }>>(
    `update cmdb_sink_cursor set leased_by = ?, leased_until = now() + ?::int * interval '1 millisecond'
     where source_id = ? and sink_id = ? and resource = ? and (leased_by is null or leased_by = ? or leased_until < now())
     returning applied_seq`,
    [holder, leaseMs, sourceId, sinkId, resource, holder],
  );
  return claimed ? Number(claimed.applied_seq) : undefined;
}

/** Moves a leased position to `appliedSeq` and renews the lease; false when `holder` no longer holds it. */
export async function moveLeasedSinkPosition(orm: Orm, sourceId: string, sinkId: string, resource: string, holder: string, appliedSeq: number, leaseMs: number): Promise<boolean> {
  const moved = await orm.em.fork().execute<{ affectedRows: number }>(
    `update cmdb_sink_cursor set applied_seq = greatest(applied_seq, ?), leased_until = now() + ?::int * interval '1 millisecond', updated_at = now()
     where source_id = ? and sink_id = ? and resource = ? and leased_by = ?`,
    [appliedSeq, leaseMs, sourceId, sinkId, resource, holder],
    'run',
  );
  return moved.affectedRows === 1;
}

/** Gives the lease up, so another replay call can claim the position at once. */
export async function releaseSinkPosition(orm: Orm, sourceId: string, sinkId: string, resource: string, holder: string): Promise<void> {
  await orm.em.fork().execute(
    'update cmdb_sink_cursor set leased_by = null, leased_until = null where source_id = ? and sink_id = ? and resource = ? and leased_by = ?',
    [sourceId, sinkId, resource, holder],
  );
}

/** A sink added to a running source starts at the current tip: it receives changes from now on. */
export async function startSinkAtTip(orm: Orm, sourceId: string, sinkId: string): Promise<void> {
  await orm.em.fork().execute(
    `insert into cmdb_sink_cursor (id, source_id, sink_id, resource, applied_seq, updated_at)
     select gen_random_uuid(), source_id, ?, resource, last_seq, now() from cmdb_cursor where source_id = ?
     on conflict (source_id, sink_id, resource) do nothing`,
    [sinkId, sourceId],
  );
}

function toStoredEvent(row: Record<string, unknown>): StoredCmdbEvent {
  return {
    id: row.id as string,
    seq: Number(row.seq),
    cursor: row.cursor as string,
    eventType: row.event_type as string,
    detail: row.detail as Record<string, unknown>,
    receivedAt: new Date(row.received_at as string),
    sinkStates: (row.sink_states as Record<string, CmdbEventSinkTrouble>) ?? {},
  };
}

export async function eventsAfter(em: EntityManager, sourceId: string, resource: string, afterSeq: number, limit: number): Promise<StoredCmdbEvent[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select id, seq, cursor, event_type, detail, received_at, sink_states from cmdb_event
     where source_id = ? and resource = ? and seq > ? order by seq limit ?`,
    [sourceId, resource, afterSeq, limit],
  );
  return rows.map(toStoredEvent);
}

/** Dead letters of a sink on one resource that an operator asked to re-drive, oldest first. */
export async function eventsToRedrive(em: EntityManager, sourceId: string, sinkId: string, resource: string, limit: number): Promise<StoredCmdbEvent[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select id, seq, cursor, event_type, detail, received_at, sink_states from cmdb_event
     where source_id = ? and resource = ? and sink_states -> ? ->> 'state' = 'redrive' order by seq limit ?`,
    [sourceId, resource, sinkId, limit],
  );
  return rows.map(toStoredEvent);
}

export async function recordSinkTrouble(orm: Orm, eventId: string, sinkId: string, trouble: CmdbEventSinkTrouble): Promise<void> {
  await orm.em.fork().execute(
    `update cmdb_event set sink_states = sink_states || jsonb_build_object(?::text, ?::jsonb) where id = ?`,
    [sinkId, JSON.stringify(trouble), eventId],
  );
}

export async function clearSinkTrouble(em: EntityManager, eventId: string, sinkId: string): Promise<void> {
  await em.execute('update cmdb_event set sink_states = sink_states - ?::text where id = ?', [sinkId, eventId]);
}

/** Marks dead letters of a source (optionally one sink, optionally some events) for re-drive; returns how many. */
export async function markDeadLettersForRedrive(orm: Orm, sourceId: string, sinkIds: string[], eventIds: string[] | undefined): Promise<number> {
  let total = 0;
  for (const sinkId of sinkIds) {
    const result = await orm.em.fork().execute<{ affectedRows: number }>(
      `update cmdb_event set sink_states = jsonb_set(jsonb_set(sink_states, array[?::text, 'state'], '"redrive"'), array[?::text, 'attempts'], '0')
       where source_id = ? and sink_states -> ? ->> 'state' = 'dead'
         and (?::jsonb is null or id::text in (select jsonb_array_elements_text(?::jsonb)))`,
      [sinkId, sinkId, sourceId, sinkId, eventIds ? JSON.stringify(eventIds) : null, eventIds ? JSON.stringify(eventIds) : null],
      'run',
    );
    total += result.affectedRows;
  }
  return total;
}
