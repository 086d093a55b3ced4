// Topology mirror: a CMDB business as the topology sink last saw it, scoped by source.
import { defineEntity, p } from '@mikro-orm/core';

const CmdbBizSchema = defineEntity({
  name: 'CmdbBiz',
  tableName: 'cmdb_biz',
  uniques: [{ properties: ['sourceId', 'bkBizId'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    bkBizId: p.integer(),
    name: p.text(),
    detail: p.json<Record<string, unknown>>(),
    updatedAt: p.datetime(),
  },
});

export class CmdbBiz extends CmdbBizSchema.class {}
CmdbBizSchema.setClass(CmdbBiz);
export { CmdbBizSchema };
