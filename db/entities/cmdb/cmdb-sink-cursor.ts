// How far one sink of a source has replayed one resource: every event with seq <= appliedSeq is applied
// (or dead-lettered). Moving it in the same transaction as the sink's writes makes replay exactly-once in effect.
import { defineEntity, p } from '@mikro-orm/core';

const CmdbSinkCursorSchema = defineEntity({
  name: 'CmdbSinkCursor',
  tableName: 'cmdb_sink_cursor',
  uniques: [{ properties: ['sourceId', 'sinkId', 'resource'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    sinkId: p.uuid(),
    resource: p.string(),
    appliedSeq: p.bigint('number').default(0),
    /**
     * The webhook replay call that alone may deliver this position's next events, until leasedUntil: two replay
     * attempts running at once (a retry overlapping a stalled attempt) must not both deliver (cmdb-events.ts).
     */
    leasedBy: p.uuid().nullable(),
    leasedUntil: p.datetime().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class CmdbSinkCursor extends CmdbSinkCursorSchema.class {}
CmdbSinkCursorSchema.setClass(CmdbSinkCursor);
export { CmdbSinkCursorSchema };
