// Read side of CMDB watch replay: stored events with each sink's delivery state, and the topology mirror as a
// business > set > module > host tree.
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import { CmdbSource } from '../../db/entities/cmdb/cmdb-source.ts';
import { CmdbHostCloudLink, CMDB_CLOUD_MATCHES } from '../../db/entities/cmdb/cmdb-host-cloud-link.ts';
import { CMDB_SINK_STATES, listEvents } from '../../db/repositories/cmdb/cmdb-reports.ts';
import { topologyTree } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { CMDB_REPLAY_RESOURCES } from '../../contracts/cmdb.ts';
import { NotFoundError } from '../../services/errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

export interface CmdbEventRouteDeps {
  orm: Orm;
}

const eventView = z
  .object({
    id: z.uuid(),
    sourceId: z.uuid(),
    resource: z.string(),
    seq: z.number().int().describe('Order of the event within its resource.'),
    cursor: z.string(),
    eventType: z.string(),
    detail: z.record(z.string(), z.unknown()),
    receivedAt: z.iso.datetime(),
    sinks: z.array(
      z.object({
        sinkId: z.uuid(),
        type: z.string(),
        state: z.enum(CMDB_SINK_STATES),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'CmdbEvent' });

const hostView = z.object({ bkHostId: z.number().int(), innerIp: z.string(), name: z.string() });
const moduleView = z.object({ bkModuleId: z.number().int(), name: z.string(), hosts: z.array(hostView) });
const setView = z.object({ bkSetId: z.number().int(), name: z.string(), modules: z.array(moduleView) });
const bizView = z.object({ bkBizId: z.number().int(), name: z.string(), sets: z.array(setView) });

export function cmdbEventRoutes({ orm }: CmdbEventRouteDeps): RouteDefinition[] {
  async function requireSource(id: string): Promise<CmdbSource> {
    const source = await orm.em.fork().findOne(CmdbSource, { id });
    if (!source) throw new NotFoundError(`CMDB source ${id} not found.`);
    return source;
  }

  return [
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/events',
      summary: 'List stored CMDB events, newest first, with their delivery state per sink',
      tags: ['cmdb'],
      auth: 'viewer',
      query: z.object({
        sourceId: z.uuid().optional(),
        resource: z.enum(CMDB_REPLAY_RESOURCES).optional(),
        type: z.enum(['create', 'update', 'delete']).optional(),
        sinkState: z.enum(CMDB_SINK_STATES).optional().describe('Events in this state for any sink (or for `sinkId`); `dead` lists the dead letters.'),
        sinkId: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: { 200: z.object({ events: z.array(eventView) }).meta({ id: 'CmdbEventList' }) },
      async handler({ query }) {
        const events = await listEvents(orm, query, async (sourceId) => (await orm.em.fork().findOne(CmdbSource, { id: sourceId }))?.sinks ?? []);
        return { events: events.map((event) => ({ ...event, receivedAt: event.receivedAt.toISOString() })) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/sources/:id/cloud-links',
      summary: 'CMDB hosts matched to cloud inventory instances by the cloud-link sink',
      tags: ['cmdb'],
      auth: 'viewer',
      params: z.object({ id: z.uuid() }),
      response: {
        200: z
          .object({
            links: z.array(
              z.object({
                bkHostId: z.number().int(),
                resourceId: z.uuid().describe('The cloud instance in GET /v1/resources.'),
                matchedBy: z.enum(CMDB_CLOUD_MATCHES).describe('bk_cloud_inst_id equal to the instance id, or an inner IP among its private IPs.'),
                linkedAt: z.iso.datetime(),
              }),
            ),
          })
          .meta({ id: 'CmdbCloudLinks' }),
      },
      async handler({ params }) {
        await requireSource(params.id);
        const links = await orm.em.fork().find(CmdbHostCloudLink, { sourceId: params.id }, { orderBy: { bkHostId: 'asc', resourceId: 'asc' } });
        return {
          links: links.map((link) => ({ bkHostId: link.bkHostId, resourceId: link.resourceId, matchedBy: link.matchedBy, linkedAt: link.linkedAt.toISOString() })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/topology',
      summary: 'The topology mirror of a CMDB source',
      description: 'Businesses > sets > modules > hosts as the topology sink has replayed them, every level sorted by id.',
      tags: ['cmdb'],
      auth: 'viewer',
      query: z.object({ sourceId: z.uuid(), bizId: z.coerce.number().int().optional() }),
      response: { 200: z.object({ bizs: z.array(bizView) }).meta({ id: 'CmdbTopology' }) },
      async handler({ query }) {
        await requireSource(query.sourceId);
        return { bizs: await topologyTree(orm, query.sourceId, query.bizId) };
      },
    }),
  ];
}
