// The cloud-link sink's output: a CMDB host matched to a cloud inventory instance (resource of type instance)
// by bk_cloud_inst_id (the instance's external id) or by an inner IP among the instance's private IPs.
import { defineEntity, p } from '@mikro-orm/core';

export const CMDB_CLOUD_MATCHES = ['cloud-inst-id', 'inner-ip'] as const;

const CmdbHostCloudLinkSchema = defineEntity({
  name: 'CmdbHostCloudLink',
  tableName: 'cmdb_host_cloud_link',
  uniques: [{ properties: ['sourceId', 'bkHostId', 'resourceId'] }],
  properties: {
    id: p.uuid().primary(),
    sourceId: p.uuid(),
    bkHostId: p.integer(),
    /** `resource.id` of the cloud instance. */
    resourceId: p.uuid(),
    matchedBy: p.enum(CMDB_CLOUD_MATCHES),
    linkedAt: p.datetime(),
  },
});

export class CmdbHostCloudLink extends CmdbHostCloudLinkSchema.class {}
CmdbHostCloudLinkSchema.setClass(CmdbHostCloudLink);
export { CmdbHostCloudLinkSchema };
