// One CMDB change event as received, stored before any sink sees it (Kafka Connect style: fetch, persist, then
// replay). The cursor is unique per source and resource, so a batch fetched twice is stored once.
import { defineEntity, p } from '@mikro-orm/core';

/** Per-sink delivery trouble; a sink with no entry has applied the event once its position passed `seq`. */
export interface CmdbEventSinkTrouble {
  state: 'failed' | 'dead' | 'redrive' | 'redriven';
  attempts: number;
  lastError: string | null;
  at: string;
}

const CmdbEventSchema = defineEntity({
  name: 'CmdbEvent',
  tableName: 'cmdb_event',
  uniques: [{ properties: ['sourceId', 'resource', 'cursor'] }, { properties: ['sourceId', 'resource', 'seq'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    resource: p.string(),
    /** Order of the event within its resource (CMDB orders each resource's chain, not across resources). */
    seq: p.bigint('number'),
    cursor: p.text(),
    eventType: p.string(),
    detail: p.json<Record<string, unknown>>(),
    receivedAt: p.datetime(),
    sinkStates: p.json<Record<string, CmdbEventSinkTrouble>>().default('{}'),
  },
});

export class CmdbEvent extends CmdbEventSchema.class {}
CmdbEventSchema.setClass(CmdbEvent);
export { CmdbEventSchema };
