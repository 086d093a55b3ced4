// CMDB sources over HTTP: the zod schemas of the requests, the masked view and the status report; every operation
// is a call to services/cmdb/sources.ts, which keeps the watchers, schedules and replays in step with the row.
import { z } from 'zod';
import type { CmdbSource } from '../../db/entities/cmdb/cmdb-source.ts';
import { maskSecret } from '../../security/secrets.ts';
import { maskUrl } from '../../integrations/outbound/masked-url.ts';
import {
  CMDB_API_STYLES,
  CMDB_REPLAY_RESOURCES,
  CMDB_WATCH_MODES,
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  cmdbReplayWorkflowId,
  cmdbWatchWorkflowId,
} from '../../contracts/cmdb.ts';
import { httpUrlSchema } from '../../contracts/http-url.ts';
import type { CmdbSourceService } from '../../services/cmdb/sources.ts';
import { errorBodySchema } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

const resourceSpec = z.object({
  resource: z.string().min(1).describe(`CMDB bk_resource; opsflow replays ${CMDB_REPLAY_RESOURCES.join(', ')}.`),
  mode: z.enum(CMDB_WATCH_MODES).describe('realtime: a long-running watcher; interval: a schedule that drains to the tip.'),
  intervalMinutes: z.number().int().optional().describe('Interval mode only: minutes between runs.'),
  fields: z.array(z.string().min(1)).optional().describe('bk_fields (mandatory in CMDB for host, biz, set, module); opsflow adds what its sinks need.'),
  eventTypes: z.array(z.enum(['create', 'update', 'delete'])).optional().describe('bk_event_types; absent means all.'),
});

const sinkSpec = z.discriminatedUnion('type', [
  z.object({ type: z.literal('topology'), id: z.uuid().optional() }),
  z.object({ type: z.literal('cloud-link'), id: z.uuid().optional() }),
  z.object({
    type: z.literal('webhook'),
    id: z.uuid().optional().describe('PATCH: keep this existing sink (its secret may then be omitted).'),
    url: httpUrlSchema.describe('http(s) URL that receives each event as a signed JSON POST. Answers show it without userinfo and with query values as ****; sending that form back keeps the stored URL.'),
    secret: z.string().min(8).optional().describe('HMAC-SHA256 key of the X-Opsflow-Signature header. Sealed at rest, never returned.'),
    maxAttempts: z.number().int().min(1).max(100).optional().describe(`Attempts before an event is dead-lettered (default ${DEFAULT_WEBHOOK_MAX_ATTEMPTS}).`),
  }),
]);

const sourceFields = {
  name: z.string().trim().min(1).max(255).describe('Unique name of the source in opsflow; a name already taken answers 409.'),
  baseUrl: httpUrlSchema.describe('CMDB apiserver (native), PaaS root (esb) or BK_API_URL (apigw).'),
  apiStyle: z.enum(CMDB_API_STYLES),
  appCode: z.string().max(255),
  appSecret: z.string().min(1).describe('Sealed at rest, never returned.'),
  username: z.string().min(1).max(255),
  supplierAccount: z.string().min(1).max(255),
  resources: z.array(resourceSpec).min(1),
  sinks: z.array(sinkSpec),
};

const createBody = z
  .object({
    ...sourceFields,
    appCode: sourceFields.appCode.default(''),
    appSecret: sourceFields.appSecret.optional(),
    supplierAccount: sourceFields.supplierAccount.default('0'),
  })
  .meta({ id: 'CmdbSourceCreate' });

const patchBody = z
  .object({
    name: sourceFields.name.optional(),
    baseUrl: sourceFields.baseUrl.optional(),
    apiStyle: sourceFields.apiStyle.optional(),
    appCode: sourceFields.appCode.optional(),
    appSecret: sourceFields.appSecret.optional(),
    username: sourceFields.username.optional(),
    supplierAccount: sourceFields.supplierAccount.optional(),
    resources: sourceFields.resources.optional(),
    sinks: sourceFields.sinks.optional(),
  })
  .meta({ id: 'CmdbSourcePatch' });

const watchedView = z.object({
  resource: z.enum(CMDB_REPLAY_RESOURCES),
  mode: z.enum(CMDB_WATCH_MODES),
  intervalMinutes: z.number().int().optional(),
  fields: z.array(z.string()).optional(),
  eventTypes: z.array(z.string()).optional(),
  workflowId: z.string().describe('Watcher workflow id (realtime) or schedule id (interval).'),
});

const sinkView = z.object({
  id: z.uuid(),
  type: z.enum(['topology', 'webhook', 'cloud-link']),
  url: z.string().optional().describe('Masked: no userinfo, query values shown as ****.'),
  secret: z.string().optional().describe('Masked.'),
  maxAttempts: z.number().int().optional(),
  replayWorkflowId: z.string(),
});

const sourceView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    baseUrl: z.string(),
    apiStyle: z.enum(CMDB_API_STYLES),
    appCode: z.string(),
    appSecret: z.string().nullable().describe('Masked; null when none is set.'),
    username: z.string(),
    supplierAccount: z.string(),
    resources: z.array(watchedView),
    sinks: z.array(sinkView),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'CmdbSource' });

const sinkStatusView = z.object({
  sinkId: z.uuid(),
  type: z.string(),
  appliedSeq: z.number().int(),
  applied: z.number().int(),
  pending: z.number().int(),
  failed: z.number().int(),
  dead: z.number().int(),
  lagSeconds: z.number().describe('Age of the oldest event this sink has not applied yet; 0 when caught up.'),
});

const statusView = z
  .object({
    sourceId: z.uuid(),
    resources: z.array(
      z.object({
        resource: z.string(),
        mode: z.enum(CMDB_WATCH_MODES),
        state: z.string().describe('starting, watching, recovering or failed.'),
        stateDetail: z.string().nullable().describe('Why it failed (e.g. the IAM permission to apply for) or what it is recovering from.'),
        recovering: z.boolean(),
        cursorAgeSeconds: z.number().nullable().describe('Seconds since the stored cursor last moved or was confirmed.'),
        lastEventAt: z.iso.datetime().nullable(),
        caughtUpAt: z.iso.datetime().nullable(),
        lastRelistAt: z.iso.datetime().nullable(),
        received: z.number().int().describe('Events stored for this resource.'),
        sinks: z.array(sinkStatusView),
      }),
    ),
  })
  .meta({ id: 'CmdbSourceStatus' });

type SourceView = z.input<typeof sourceView>;

/** What a write can answer besides success: a conflict (name taken, another change under way) or Temporal refusing. */
const writeRefusals = { 409: errorBodySchema, 503: errorBodySchema };
const isoOrNull = (date: Date | null) => date?.toISOString() ?? null;

function view(source: CmdbSource): SourceView {
  return {
    id: source.id,
    name: source.name,
    baseUrl: source.baseUrl,
    apiStyle: source.apiStyle,
    appCode: source.appCode,
    appSecret: source.appSecretSealed ? maskSecret('********') : null,
    username: source.username,
    supplierAccount: source.supplierAccount,
    resources: source.resources.map((watched) => ({ ...watched, workflowId: cmdbWatchWorkflowId(source.id, watched.resource) })),
    sinks: source.sinks.map((sink) => ({
      id: sink.id,
      type: sink.type,
      ...(sink.type === 'webhook' ? { url: maskUrl(sink.url), secret: maskSecret('********'), maxAttempts: sink.maxAttempts } : {}),
      replayWorkflowId: cmdbReplayWorkflowId(source.id, sink.id),
    })),
    createdAt: source.createdAt.toISOString(),
    updatedAt: source.updatedAt.toISOString(),
  };
}

export function cmdbSourceRoutes(sources: CmdbSourceService): RouteDefinition[] {
  const idParams = z.object({ id: z.uuid() });

  return [
    defineRoute({
      method: 'POST',
      url: '/v1/cmdb/sources',
      summary: 'Follow a BlueKing CMDB',
      description:
        'Stores the source (app secret sealed), starts a watcher per realtime resource (`cmdb-watch:<id>:<resource>`), a schedule per interval resource (same id) and a replay per sink (`cmdb-replay:<id>:<sinkId>`). Each watcher starts like an informer: bookmark, re-list into the mirror, watch from the bookmark. A name already taken answers 409; if Temporal refuses, 503 and nothing is stored.',
      tags: ['cmdb'],
      auth: 'operator',
      body: createBody,
      response: { 201: sourceView, ...writeRefusals },
      handler: async ({ body }) => view(await sources.create(body)),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/sources',
      summary: 'List CMDB sources',
      tags: ['cmdb'],
      auth: 'viewer',
      response: { 200: z.object({ sources: z.array(sourceView) }) },
      handler: async () => ({ sources: (await sources.list()).map(view) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/sources/:id',
      summary: 'Read a CMDB source',
      tags: ['cmdb'],
      auth: 'viewer',
      params: idParams,
      response: { 200: sourceView },
      handler: async ({ params }) => view(await sources.get(params.id)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/v1/cmdb/sources/:id',
      summary: 'Change a CMDB source, its watched resources or its sinks',
      description:
        'Watchers of removed resources stop, new ones start (informer start), a mode change swaps the watcher for a schedule or back; removed sinks stop replaying, new sinks receive changes from now on. A webhook sink given with its `id` keeps its secret unless a new one is given. A name already taken, or another change of the source still being applied, answers 409; if Temporal refuses, 503 and the source stays as it was.',
      tags: ['cmdb'],
      auth: 'operator',
      params: idParams,
      body: patchBody,
      response: { 200: sourceView, ...writeRefusals },
      handler: async ({ params, body }) => view(await sources.change(params.id, body)),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/cmdb/sources/:id',
      summary: 'Stop following a CMDB and delete its events and mirror',
      description: 'Stops the watchers and replays, deletes the interval schedules and cancels their running runs, then deletes the source with its events and mirror. If Temporal refuses, the source is kept (503).',
      tags: ['cmdb'],
      auth: 'operator',
      params: idParams,
      response: { 204: z.undefined(), ...writeRefusals },
      async handler({ params }) {
        await sources.delete(params.id);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/sources/:id/status',
      summary: 'Watcher and sink status per resource',
      tags: ['cmdb'],
      auth: 'viewer',
      params: idParams,
      response: { 200: statusView },
      async handler({ params }) {
        const resources = await sources.status(params.id);
        return {
          sourceId: params.id,
          resources: resources.map((status) => ({
            ...status,
            lastEventAt: isoOrNull(status.lastEventAt),
            caughtUpAt: isoOrNull(status.caughtUpAt),
            lastRelistAt: isoOrNull(status.lastRelistAt),
          })),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/cmdb/sources/:id/resync',
      summary: 'Re-list everything from CMDB into the mirror',
      description: 'Each watcher takes a new bookmark, re-lists its resource (deleting what no longer exists in CMDB) and watches on from the bookmark.',
      tags: ['cmdb'],
      auth: 'operator',
      params: idParams,
      response: { 202: z.object({ sourceId: z.uuid(), resources: z.array(z.string()) }), ...writeRefusals },
      async handler({ params }) {
        const source = await sources.resync(params.id);
        return { sourceId: source.id, resources: source.resources.map((watched) => watched.resource) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/cmdb/sources/:id/dead-letters/redrive',
      summary: 'Deliver dead-lettered webhook events again',
      description: 'Dead letters of the given sink (or every webhook sink), optionally only the given events, get a fresh set of attempts.',
      tags: ['cmdb'],
      auth: 'operator',
      params: idParams,
      body: z
        .object({ sinkId: z.uuid().optional(), eventIds: z.array(z.uuid()).min(1).optional() })
        .meta({ id: 'CmdbRedriveRequest' }),
      response: { 202: z.object({ redriven: z.number().int() }) },
      handler: async ({ params, body }) => ({ redriven: await sources.redriveDeadLetters(params.id, body.sinkId, body.eventIds) }),
    }),
  ];
}
