// Read side of the cloud inventory for the API: filtered, cursor-paginated lists of sync runs and resources,
// a resource with its relations both ways, and the topology graph of an account or one VPC.
import type { FilterQuery } from '@mikro-orm/core';
import type { Orm } from '../../orm.ts';
import { Resource } from '../../entities/cloud-sync/resource.ts';
import { ResourceRelation } from '../../entities/cloud-sync/resource-relation.ts';
import { SyncRun } from '../../entities/cloud-sync/sync-run.ts';
import { SyncRunLine } from '../../entities/cloud-sync/sync-run-line.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SyncRunFilter {
  accountId?: string;
  provider?: string;
  resourceType?: string;
  state?: string;
}

export interface ResourceFilter {
  accountId?: string;
  provider?: string;
  type?: string;
  region?: string;
  status?: string;
  expired?: boolean;
  /** `key:value` */
  tag?: { key: string; value: string };
  /** Substring of the name or the external id, case-insensitive. */
  q?: string;
}

export interface RelatedResource {
  direction: 'out' | 'in';
  kind: string;
  type: string;
  externalId: string;
  /** Null when the other end is not (yet) in the inventory. */
  resourceId: string | null;
}

export interface TopologyNode {
  id: string;
  type: string;
  externalId: string;
  name: string | null;
  status: string | null;
  region: string;
}

export interface TopologyEdge {
  from: string;
  to: string;
  kind: string;
}

const encodeCursor = (parts: string[]) => Buffer.from(parts.join('|')).toString('base64url');
const decodeCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8').split('|');

/** A cursor that does not decode is a client error; the caller maps it to 422 on `query.cursor`. */
export class BadCursorError extends Error {
  override readonly name = 'BadCursorError';
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

export function createInventoryReads(orm: Orm) {
  return {
    async listSyncRuns(filter: SyncRunFilter, limit: number, cursor?: string): Promise<Page<SyncRun>> {
      const where: FilterQuery<SyncRun>[] = [];
      if (filter.accountId) where.push({ account: filter.accountId });
      if (filter.provider) where.push({ provider: filter.provider });
      if (filter.resourceType) where.push({ resourceType: filter.resourceType });
      if (filter.state) where.push({ state: filter.state as SyncRun['state'] });
      if (cursor) {
        const [startedAt, id] = decodeCursor(cursor);
        const at = new Date(startedAt ?? '');
        if (!id || Number.isNaN(at.getTime())) throw new BadCursorError('cursor was not issued by this API');
        where.push({ $or: [{ startedAt: { $lt: at } }, { startedAt: at, id: { $lt: id } }] });
      }
      const runs = await orm.em.fork().find(SyncRun, { $and: where }, { orderBy: { startedAt: 'desc', id: 'desc' }, limit: limit + 1 });
      const items = runs.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: runs.length > limit && last ? encodeCursor([last.startedAt.toISOString(), last.id]) : null };
    },

    async syncRunWithLines(id: string): Promise<{ run: SyncRun; lines: SyncRunLine[] } | null> {
      const em = orm.em.fork();
      const run = await em.findOne(SyncRun, { id });
      if (!run) return null;
      const lines = await em.find(SyncRunLine, { run: id }, { orderBy: { id: 'asc' }, limit: 10_000 });
      return { run, lines };
    },

    async listResources(filter: ResourceFilter, limit: number, cursor?: string): Promise<Page<Resource>> {
      const where: FilterQuery<Resource>[] = [];
      if (filter.accountId) where.push({ account: filter.accountId });
      if (filter.provider) where.push({ provider: filter.provider });
      if (filter.type) where.push({ type: filter.type });
      if (filter.region) where.push({ region: filter.region });
      if (filter.status) where.push({ status: filter.status });
      if (filter.expired !== undefined) where.push({ expiredAt: filter.expired ? { $ne: null } : null });
      if (filter.tag) where.push({ tags: { [filter.tag.key]: filter.tag.value } } as FilterQuery<Resource>);
      if (filter.q) {
        const pattern = `%${escapeLike(filter.q)}%`;
        where.push({ $or: [{ name: { $ilike: pattern } }, { externalId: { $ilike: pattern } }] });
      }
      if (cursor) {
        const [id] = decodeCursor(cursor);
        if (!id || !/^[0-9a-f-]{36}$/.test(id)) throw new BadCursorError('cursor was not issued by this API');
        where.push({ id: { $gt: id } });
      }
      const rows = await orm.em.fork().find(Resource, { $and: where }, { orderBy: { id: 'asc' }, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null };
    },

    async resourceWithRelations(id: string): Promise<{ resource: Resource; relations: RelatedResource[] } | null> {
      const em = orm.em.fork();
      const resource = await em.findOne(Resource, { id });
      if (!resource) return null;
      const accountId = resource.account.id;
      const outgoing = await em.find(ResourceRelation, { from: id });
      const targets = outgoing.length
        ? await em.find(Resource, { account: accountId, $or: outgoing.map((edge) => ({ type: edge.toType, externalId: edge.toExternalId })) })
        : [];
      const targetId = new Map(targets.map((target) => [`${target.type}:${target.externalId}`, target.id]));
      const incoming = await em.find(ResourceRelation, { accountId, toType: resource.type, toExternalId: resource.externalId }, { populate: ['from'] });
      return {
        resource,
        relations: [
          ...outgoing.map((edge) => ({
            direction: 'out' as const,
            kind: edge.kind,
            type: edge.toType,
            externalId: edge.toExternalId,
            resourceId: targetId.get(`${edge.toType}:${edge.toExternalId}`) ?? null,
          })),
          ...incoming.map((edge) => ({
            direction: 'in' as const,
            kind: edge.kind,
            type: edge.from.type,
            externalId: edge.from.externalId,
            resourceId: edge.from.id,
          })),
        ],
      };
    },

    /**
     * The live (not expired) resources of an account and the relations between them. With a VPC, only what
     * leads to it: its subnets and security groups, what sits in them, and what is attached to those.
     */
    async topology(accountId: string, vpcExternalId?: string, maxNodes = 20_000): Promise<{ nodes: TopologyNode[]; edges: TopologyEdge[] }> {
      const em = orm.em.fork();
      const resources = await em.find(Resource, { account: accountId, expiredAt: null }, { limit: maxNodes, orderBy: { id: 'asc' }, fields: ['id', 'type', 'externalId', 'name', 'status', 'region'] });
      const relations = await em.find(ResourceRelation, { accountId });
      const byKey = new Map(resources.map((resource) => [`${resource.type}:${resource.externalId}`, resource]));
      const live = new Set(resources.map((resource) => resource.id));
      const edges: TopologyEdge[] = [];
      for (const relation of relations) {
        const target = byKey.get(`${relation.toType}:${relation.toExternalId}`);
        if (target && live.has(relation.from.id)) edges.push({ from: relation.from.id, to: target.id, kind: relation.kind });
      }
      let included = live;
      if (vpcExternalId !== undefined) {
        const vpc = byKey.get(`vpc:${vpcExternalId}`);
        included = new Set(vpc ? [vpc.id] : []);
        for (let grew = true; grew; ) {
          grew = false;
          for (const edge of edges) {
            if (included.has(edge.to) && !included.has(edge.from)) {
              included.add(edge.from);
              grew = true;
            }
          }
        }
      }
      const nodes = resources
        .filter((resource) => included.has(resource.id))
        .map((resource) => ({ id: resource.id, type: resource.type, externalId: resource.externalId, name: resource.name ?? null, status: resource.status ?? null, region: resource.region }));
      return { nodes, edges: edges.filter((edge) => included.has(edge.from) && included.has(edge.to)) };
    },
  };
}
