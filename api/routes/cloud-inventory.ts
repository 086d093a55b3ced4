// The cloud inventory as users read it: sync runs with their logs, resources with filters and cursors, one
// resource with its relations, the topology graph, and the provider catalog.
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import type { Resource } from '../../db/entities/cloud-sync/resource.ts';
import { SYNC_RUN_STATES, type SyncRun } from '../../db/entities/cloud-sync/sync-run.ts';
import { BadCursorError, createInventoryReads, type Page } from '../../db/repositories/cloud-sync/inventory-reads.ts';
import { capabilityNames } from '../../integrations/clouds/provider.ts';
import { providerCatalog, type CloudRegistry } from '../../integrations/clouds/registry.ts';
import { NotFoundError } from '../../services/errors.ts';
import { UnprocessableError } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

export interface CloudInventoryRouteDeps {
  orm: Orm;
  clouds: () => Promise<CloudRegistry>;
}

const counts = z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), expired: z.number().int() });

const syncRunView = z
  .object({
    id: z.uuid(),
    accountId: z.uuid(),
    provider: z.string(),
    resourceType: z.string(),
    state: z.enum(SYNC_RUN_STATES),
    counts: z.record(z.string(), counts).describe('Per region.'),
    regions: z.record(z.string(), z.object({ state: z.enum(['listing', 'succeeded', 'failed']), pages: z.number().int(), error: z.string().nullable() })),
    workflowId: z.string(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'SyncRun' });

const syncRunLine = z.object({ at: z.iso.datetime(), level: z.enum(['info', 'warn', 'error']), region: z.string().nullable(), message: z.string() });

const resourceView = z
  .object({
    id: z.uuid(),
    accountId: z.uuid(),
    provider: z.string(),
    type: z.string(),
    region: z.string(),
    zone: z.string().nullable(),
    externalId: z.string(),
    name: z.string().nullable(),
    status: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.record(z.string(), z.string()),
    expiredAt: z.iso.datetime().nullable(),
    lastSeenAt: z.iso.datetime(),
  })
  .meta({ id: 'Resource' });

const relationView = z.object({
  direction: z.enum(['out', 'in']).describe('out: this resource points at the other; in: the other points at this one.'),
  kind: z.string(),
  type: z.string(),
  externalId: z.string(),
  resourceId: z.uuid().nullable(),
});

const pageQuery = {
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

function runView(run: SyncRun): z.input<typeof syncRunView> {
  return {
    id: run.id,
    accountId: run.account.id,
    provider: run.provider,
    resourceType: run.resourceType,
    state: run.state,
    counts: run.counts,
    regions: Object.fromEntries(
      Object.entries(run.checkpoints).map(([region, checkpoint]) => [region, { state: checkpoint.state, pages: checkpoint.pages, error: checkpoint.error ?? null }]),
    ),
    workflowId: run.workflowId,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    error: run.error ?? null,
  };
}

function resourceOut(resource: Resource): z.input<typeof resourceView> {
  return {
    id: resource.id,
    accountId: resource.account.id,
    provider: resource.provider,
    type: resource.type,
    region: resource.region,
    zone: resource.zone ?? null,
    externalId: resource.externalId,
    name: resource.name ?? null,
    status: resource.status ?? null,
    attributes: resource.attributes,
    tags: resource.tags,
    expiredAt: resource.expiredAt?.toISOString() ?? null,
    lastSeenAt: resource.lastSeenAt.toISOString(),
  };
}

async function paged<T, V>(load: () => Promise<Page<T>>, view: (item: T) => V): Promise<{ items: V[]; nextCursor: string | null }> {
  try {
    const page = await load();
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  } catch (error) {
    if (error instanceof BadCursorError) throw new UnprocessableError('query.cursor', error.message);
    throw error;
  }
}

export function cloudInventoryRoutes({ orm, clouds }: CloudInventoryRouteDeps): RouteDefinition[] {
  const reads = createInventoryReads(orm);
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/sync-runs',
      summary: 'List sync runs, newest first',
      tags: ['cloud inventory'],
      auth: 'viewer',
      query: z.object({
        accountId: z.uuid().optional(),
        provider: z.string().optional(),
        resourceType: z.string().optional(),
        state: z.enum(SYNC_RUN_STATES).optional(),
        ...pageQuery,
      }),
      response: { 200: z.object({ items: z.array(syncRunView), nextCursor: z.string().nullable() }).meta({ id: 'SyncRunList' }) },
      async handler({ query }) {
        const { cursor, limit, ...filter } = query;
        return paged(() => reads.listSyncRuns(filter, limit, cursor), runView);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/sync-runs/:id',
      summary: 'Read a sync run with its log lines',
      tags: ['cloud inventory'],
      auth: 'viewer',
      params: z.object({ id: z.uuid() }),
      response: { 200: syncRunView.extend({ lines: z.array(syncRunLine) }).meta({ id: 'SyncRunDetail' }) },
      async handler({ params }) {
        const found = await reads.syncRunWithLines(params.id);
        if (!found) throw new NotFoundError(`Sync run ${params.id} not found.`);
        return {
          ...runView(found.run),
          lines: found.lines.map((line) => ({ at: line.at.toISOString(), level: line.level, region: line.region ?? null, message: line.message })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/resources',
      summary: 'List inventory resources',
      tags: ['cloud inventory'],
      auth: 'viewer',
      query: z.object({
        accountId: z.uuid().optional(),
        provider: z.string().optional(),
        type: z.string().optional(),
        region: z.string().optional(),
        status: z.string().optional(),
        expired: z.enum(['true', 'false']).optional().describe('true: only expired resources; false: only live ones; absent: both.'),
        tag: z.string().regex(/^[^:]+:.*$/, 'must be key:value').optional(),
        q: z.string().min(1).max(200).optional().describe('Substring of the name or external id.'),
        ...pageQuery,
      }),
      response: { 200: z.object({ items: z.array(resourceView), nextCursor: z.string().nullable() }).meta({ id: 'ResourceList' }) },
      async handler({ query }) {
        const { cursor, limit, expired, tag, ...filter } = query;
        const separator = tag?.indexOf(':') ?? -1;
        return paged(
          () =>
            reads.listResources(
              {
                ...filter,
                ...(expired === undefined ? {} : { expired: expired === 'true' }),
                ...(tag === undefined ? {} : { tag: { key: tag.slice(0, separator), value: tag.slice(separator + 1) } }),
              },
              limit,
              cursor,
            ),
          resourceOut,
        );
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/resources/:id',
      summary: 'Read a resource with its relations',
      tags: ['cloud inventory'],
      auth: 'viewer',
      params: z.object({ id: z.uuid() }),
      response: { 200: resourceView.extend({ relations: z.array(relationView) }).meta({ id: 'ResourceDetail' }) },
      async handler({ params }) {
        const found = await reads.resourceWithRelations(params.id);
        if (!found) throw new NotFoundError(`Resource ${params.id} not found.`);
        return { ...resourceOut(found.resource), relations: found.relations };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/topology',
      summary: 'The graph of an account\'s live resources, or of one VPC',
      tags: ['cloud inventory'],
      auth: 'viewer',
      query: z.object({ accountId: z.uuid(), vpcId: z.string().min(1).optional().describe('External id of a VPC.') }),
      response: {
        200: z
          .object({
            nodes: z.array(z.object({ id: z.uuid(), type: z.string(), externalId: z.string(), name: z.string().nullable(), status: z.string().nullable(), region: z.string() })),
            edges: z.array(z.object({ from: z.uuid(), to: z.uuid(), kind: z.string() })),
          })
          .meta({ id: 'Topology' }),
      },
      async handler({ query }) {
        return reads.topology(query.accountId, query.vpcId);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/providers',
      summary: 'Cloud providers with their resource types and capabilities',
      tags: ['cloud inventory'],
      auth: 'viewer',
      response: {
        200: z
          .object({
            items: z.array(
              z.object({
                id: z.string(),
                displayName: z.string(),
                resourceTypes: z.array(z.string()),
                capabilities: z.object(Object.fromEntries(capabilityNames.map((name) => [name, z.boolean()]))),
                credentialsJsonSchema: z.unknown().optional(),
              }),
            ),
          })
          .meta({ id: 'ProviderList' }),
      },
      async handler() {
        return { items: providerCatalog(await clouds()) };
      },
    }),
  ];
}
