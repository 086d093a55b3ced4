// Topology mirror: a CMDB module (where hosts sit), scoped by source.
import { defineEntity, p } from '@mikro-orm/core';

const CmdbModuleSchema = defineEntity({
  name: 'CmdbModule',
  tableName: 'cmdb_module',
  uniques: [{ properties: ['sourceId', 'bkModuleId'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    bkModuleId: p.integer(),
    bkSetId: p.integer(),
    bkBizId: p.integer(),
    name: p.text(),
    detail: p.json<Record<string, unknown>>(),
    updatedAt: p.datetime(),
  },
});

export class CmdbModule extends CmdbModuleSchema.class {}
CmdbModuleSchema.setClass(CmdbModule);
export { CmdbModuleSchema };
