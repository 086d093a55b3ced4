// Topology mirror: a CMDB set (a group of modules inside one business), scoped by source.
import { defineEntity, p } from '@mikro-orm/core';

const CmdbSetSchema = defineEntity({
  name: 'CmdbSet',
  tableName: 'cmdb_set',
  uniques: [{ properties: ['sourceId', 'bkSetId'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    bkSetId: p.integer(),
    bkBizId: p.integer(),
    name: p.text(),
    detail: p.json<Record<string, unknown>>(),
    updatedAt: p.datetime(),
  },
});

export class CmdbSet extends CmdbSetSchema.class {}
CmdbSetSchema.setClass(CmdbSet);
export { CmdbSetSchema };
