// One cloud resource in the unified inventory, keyed by (account, type, region, external id). Rows are never
// deleted by a sync: a resource that vanished gets `expiredAt`, and is un-expired if it shows up again.
import { defineEntity, p } from '@mikro-orm/core';
import { CloudAccount } from './cloud-account.ts';

const ResourceSchema = defineEntity({
  name: 'Resource',
  tableName: 'resource',
  uniques: [{ properties: ['account', 'type', 'region', 'externalId'] }],
  indexes: [{ properties: ['account', 'externalId'] }],
  // Edges carry no foreign key (see resource-relation.ts); this keeps them from outliving their resource.
  triggers: [{ name: 'drop_relations', timing: 'after', events: ['delete'], forEach: 'row', body: 'delete from resource_relation where from_id = old.id; return old' }],
  properties: {
    id: p.uuid().primary(),
    account: () => p.manyToOne(CloudAccount).deleteRule('cascade'),
    provider: p.string(),
    type: p.string(),
    region: p.string(),
    zone: p.string().nullable(),
    externalId: p.string(),
    name: p.text().nullable(),
    status: p.string().nullable(),
    attributes: p.json<Record<string, unknown>>(),
    tags: p.json<Record<string, string>>(),
    extra: p.json<Record<string, unknown>>(),
    raw: p.json<unknown>().nullable(),
    /** Hash of the normalized fields: a sync that sees the same hash counts the resource as unchanged. */
    contentHash: p.string(),
    firstSeenAt: p.datetime(),
    lastSeenAt: p.datetime(),
    lastSyncRun: p.uuid().nullable(),
    expiredAt: p.datetime().nullable(),
  },
});

export class Resource extends ResourceSchema.class {}
ResourceSchema.setClass(Resource);
export { ResourceSchema };
