// Topology mirror: a CMDB host with the identifiers the cloud-link sink matches on (inner IPs, bk_cloud_inst_id).
import { defineEntity, p } from '@mikro-orm/core';

const CmdbHostSchema = defineEntity({
  name: 'CmdbHost',
  tableName: 'cmdb_host',
  uniques: [{ properties: ['sourceId', 'bkHostId'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    bkHostId: p.integer(),
    /** Comma-joined as CMDB emits it. */
    innerIp: p.text(),
    name: p.text(),
    cloudInstId: p.text().nullable(),
    detail: p.json<Record<string, unknown>>(),
    updatedAt: p.datetime(),
  },
});

export class CmdbHost extends CmdbHostSchema.class {}
CmdbHostSchema.setClass(CmdbHost);
export { CmdbHostSchema };
