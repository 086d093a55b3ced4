// An edge of the inventory graph (in_vpc, attached_to, snapshot_of, ...). The target is kept as the provider
// names it (type + external id), so an edge exists even before its target's type has been synced; reads join it.
// `from` has no foreign key: a sync writes hundreds of thousands of edges, and a per-row key check doubled their
// cost. The inventory writes an edge only in the transaction that upserts its resource, and the trigger declared
// on Resource deletes the edges of a deleted resource.
import { defineEntity, p } from '@mikro-orm/core';
import { Resource } from './resource.ts';

const ResourceRelationSchema = defineEntity({
  name: 'ResourceRelation',
  tableName: 'resource_relation',
  indexes: [{ properties: ['accountId', 'toType', 'toExternalId'] }],
  properties: {
    from: () => p.manyToOne(Resource).primary().createForeignKeyConstraint(false),
    kind: p.string().primary(),
    toType: p.string().primary(),
    toExternalId: p.string().primary(),
    accountId: p.uuid(),
  },
});

export class ResourceRelation extends ResourceRelationSchema.class {}
ResourceRelationSchema.setClass(ResourceRelation);
export { ResourceRelationSchema };
