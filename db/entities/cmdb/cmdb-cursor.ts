// Where a watcher stands on one resource of one source: CMDB's opaque cursor, the time of the last event seen,
// the last sequence number given to a stored event, and whether it is watching, recovering or failed (and why).
import { defineEntity, p } from '@mikro-orm/core';
import { CMDB_CURSOR_STATES } from '../../../contracts/cmdb.ts';

const CmdbCursorSchema = defineEntity({
  name: 'CmdbCursor',
  tableName: 'cmdb_cursor',
  uniques: [{ properties: ['sourceId', 'resource'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    resource: p.string(),
    /** Null until the informer start took a bookmark (or after an expired cursor was dropped). */
    cursor: p.text().nullable(),
    /** When the last stored event was received. */
    lastEventAt: p.datetime().nullable(),
    /**
     * A time at which opsflow had every event of this resource: on an expired cursor, bk_start_from just before it
     * resumes without a gap if it is still inside CMDB's retention window; otherwise a full re-list is needed.
     */
    caughtUpAt: p.datetime().nullable(),
    /** Sequence of the newest stored event of this resource (gap-free, per source and resource). */
    lastSeq: p.bigint('number').default(0),
    state: p.enum(CMDB_CURSOR_STATES).default('starting'),
    stateDetail: p.text().nullable(),
    /** A re-list was asked for (resync); the watcher clears it once the mirror is re-listed. */
    relistRequested: p.boolean().default(false),
    lastRelistAt: p.datetime().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class CmdbCursor extends CmdbCursorSchema.class {}
CmdbCursorSchema.setClass(CmdbCursor);
export { CmdbCursorSchema };
