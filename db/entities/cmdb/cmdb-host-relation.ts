// Topology mirror: a host sitting in a module (cc_ModuleHostConfig); a transfer arrives as delete + create.
import { defineEntity, p } from '@mikro-orm/core';

const CmdbHostRelationSchema = defineEntity({
  name: 'CmdbHostRelation',
  tableName: 'cmdb_host_relation',
  uniques: [{ properties: ['sourceId', 'bkHostId', 'bkModuleId'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    bkHostId: p.integer(),
    bkModuleId: p.integer(),
    bkSetId: p.integer(),
    bkBizId: p.integer(),
    updatedAt: p.datetime(),
  },
});

export class CmdbHostRelation extends CmdbHostRelationSchema.class {}
CmdbHostRelationSchema.setClass(CmdbHostRelation);
export { CmdbHostRelationSchema };
