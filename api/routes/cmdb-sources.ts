// CMDB sources: CRUD with the app secret and webhook secrets sealed and always masked, the watchers, schedules and
// replays kept in step with the row (PATCH/DELETE update or remove them; a failed start leaves nothing behind),
// per-resource status, a full re-list on demand, and re-drive of dead-lettered webhook deliveries.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import { CmdbSource, cmdbSinkSecretContext as sinkSecretContext, cmdbSourceSecretContext as secretContext } from '../../db/entities/cmdb/cmdb-source.ts';
import { markDeadLettersForRedrive, requestRelist, startSinkAtTip } from '../../db/repositories/cmdb/cmdb-events.ts';
import { deleteSourceData } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { cursorReports, sinkReports } from '../../db/repositories/cmdb/cmdb-reports.ts';
import { isCmdbWatchResource, RESOURCES_REQUIRING_FIELDS, type CmdbWatchResource } from '../../integrations/cmdb/types.ts';
import { maskSecret, type SecretBox } from '../../security/secrets.ts';
import {
  CMDB_API_STYLES,
  CMDB_REPLAY_RESOURCES,
  CMDB_WATCH_MODES,
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  cmdbReplayWorkflowId,
  cmdbWatchWorkflowId,
  type CmdbReplayResource,
  type CmdbStoredSink,
  type CmdbWatchedResource,
} from '../../contracts/cmdb.ts';
import { createCmdbWatchers, type CmdbWatcherPlan } from '../cmdb-watchers.ts';
import { ApiError, ConflictError, NotFoundError, UnprocessableError, type FieldIssue } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

export interface CmdbSourceRouteDeps {
  orm: Orm;
  temporal: Client;
  secrets: SecretBox;
  taskQueuePrefix: string;
  /** CMDB's event retention as configured: an interval at least this long would lose its cursor every run. */
  retentionSeconds: number;
}


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
    url: z.string().describe('http(s) URL that receives each event as a signed JSON POST.'),
    secret: z.string().min(8).optional().describe('HMAC-SHA256 key of the X-Opsflow-Signature header. Sealed at rest, never returned.'),
    maxAttempts: z.number().int().min(1).max(100).optional().describe(`Attempts before an event is dead-lettered (default ${DEFAULT_WEBHOOK_MAX_ATTEMPTS}).`),
  }),
]);

const sourceFields = {
  name: z.string().trim().min(1).max(255),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).describe('CMDB apiserver (native), PaaS root (esb) or BK_API_URL (apigw).'),
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
  url: z.string().optional(),
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
      ...(sink.type === 'webhook' ? { url: sink.url, secret: maskSecret('********'), maxAttempts: sink.maxAttempts } : {}),
      replayWorkflowId: cmdbReplayWorkflowId(source.id, sink.id),
    })),
    createdAt: source.createdAt.toISOString(),
    updatedAt: source.updatedAt.toISOString(),
  };
}

type ResourceSpec = z.infer<typeof resourceSpec>;
type SinkSpec = z.infer<typeof sinkSpec>;

/** The checks a schema cannot express; every problem is reported at once, naming its field. */
function checkResources(specs: ResourceSpec[], retentionSeconds: number, issues: FieldIssue[]): CmdbWatchedResource[] {
  const seen = new Set<string>();
  const watched: CmdbWatchedResource[] = [];
  specs.forEach((spec, index) => {
    const at = `body.resources.${index}`;
    if (!(CMDB_REPLAY_RESOURCES as readonly string[]).includes(spec.resource)) {
      issues.push({
        path: `${at}.resource`,
        message: isCmdbWatchResource(spec.resource)
          ? `${spec.resource} is a CMDB resource opsflow does not replay; use one of ${CMDB_REPLAY_RESOURCES.join(', ')}`
          : `unknown CMDB resource ${JSON.stringify(spec.resource)}; use one of ${CMDB_REPLAY_RESOURCES.join(', ')}`,
      });
      return;
    }
    if (seen.has(spec.resource)) issues.push({ path: `${at}.resource`, message: `${spec.resource} is listed twice` });
    seen.add(spec.resource);
    if (RESOURCES_REQUIRING_FIELDS.includes(spec.resource as CmdbWatchResource) && !spec.fields?.length) {
      issues.push({ path: `${at}.fields`, message: `CMDB refuses a ${spec.resource} watch without bk_fields; list the fields to receive` });
    }
    if (spec.mode === 'realtime' && spec.intervalMinutes !== undefined) {
      issues.push({ path: `${at}.intervalMinutes`, message: 'only applies to mode interval; a realtime watcher follows CMDB continuously' });
    }
    if (spec.mode === 'interval') {
      if (spec.intervalMinutes === undefined) issues.push({ path: `${at}.intervalMinutes`, message: 'is required for mode interval' });
      else if (spec.intervalMinutes < 1 || spec.intervalMinutes > 1440) issues.push({ path: `${at}.intervalMinutes`, message: 'must be from 1 to 1440 minutes' });
      else if (spec.intervalMinutes * 60 >= retentionSeconds) {
        issues.push({
          path: `${at}.intervalMinutes`,
          message: `${spec.intervalMinutes} minutes is not shorter than CMDB's event retention (${retentionSeconds} s): every run would find its cursor expired; use realtime or a shorter interval`,
        });
      }
    }
    watched.push({
      resource: spec.resource as CmdbReplayResource,
      mode: spec.mode,
      ...(spec.intervalMinutes !== undefined ? { intervalMinutes: spec.intervalMinutes } : {}),
      ...(spec.fields ? { fields: spec.fields } : {}),
      ...(spec.eventTypes?.length ? { eventTypes: spec.eventTypes } : {}),
    });
  });
  return watched;
}

function checkSinks(specs: SinkSpec[], existing: CmdbStoredSink[], secrets: SecretBox, issues: FieldIssue[]): CmdbStoredSink[] {
  const sinks: CmdbStoredSink[] = [];
  const singletons = new Set<string>();
  specs.forEach((spec, index) => {
    const at = `body.sinks.${index}`;
    const previous = spec.id ? existing.find((sink) => sink.id === spec.id) : undefined;
    if (spec.id && (!previous || previous.type !== spec.type)) {
      issues.push({ path: `${at}.id`, message: `no ${spec.type} sink ${spec.id} on this source` });
      return;
    }
    const id = previous?.id ?? crypto.randomUUID();
    if (spec.type !== 'webhook') {
      if (singletons.has(spec.type)) issues.push({ path: `${at}.type`, message: `a source has at most one ${spec.type} sink` });
      singletons.add(spec.type);
      sinks.push({ id, type: spec.type });
      return;
    }
    let url: URL | undefined;
    try {
      url = new URL(spec.url);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      issues.push({ path: `${at}.url`, message: 'must be an http:// or https:// URL' });
      return;
    }
    const previousSecret = previous?.type === 'webhook' ? previous.secretSealed : undefined;
    if (!spec.secret && !previousSecret) {
      issues.push({ path: `${at}.secret`, message: 'is required: it keys the HMAC-SHA256 signature of every delivery' });
      return;
    }
    sinks.push({
      id,
      type: 'webhook',
      url: spec.url,
      secretSealed: spec.secret ? secrets.seal(spec.secret, sinkSecretContext(id)) : previousSecret!,
      maxAttempts: spec.maxAttempts ?? (previous?.type === 'webhook' ? previous.maxAttempts : DEFAULT_WEBHOOK_MAX_ATTEMPTS),
    });
  });
  return sinks;
}

function checkCredentials(apiStyle: string, appCode: string, hasSecret: boolean, issues: FieldIssue[]): void {
  if (apiStyle === 'native') return;
  if (!appCode) issues.push({ path: 'body.appCode', message: `is required for apiStyle ${apiStyle}` });
  if (!hasSecret) issues.push({ path: 'body.appSecret', message: `is required for apiStyle ${apiStyle}` });
}

const planOf = (source: CmdbSource): CmdbWatcherPlan => ({ sourceId: source.id, resources: source.resources, sinks: source.sinks });

function temporalUnavailable(error: unknown): ApiError {
  return new ApiError(503, 'temporal_unavailable', `Temporal did not accept the CMDB watchers: ${(error as Error).message}`);
}

export function cmdbSourceRoutes({ orm, temporal, secrets, taskQueuePrefix, retentionSeconds }: CmdbSourceRouteDeps): RouteDefinition[] {
  const watchers = createCmdbWatchers(temporal, taskQueuePrefix);
  const idParams = z.object({ id: z.uuid() });

  async function load(id: string): Promise<CmdbSource> {
    const source = await orm.em.fork().findOne(CmdbSource, { id });
    if (!source) throw new NotFoundError(`CMDB source ${id} not found.`);
    return source;
  }

  async function nameTaken(name: string, except?: string): Promise<boolean> {
    const other = await orm.em.fork().findOne(CmdbSource, { name });
    return Boolean(other && other.id !== except);
  }

  return [
    defineRoute({
      method: 'POST',
      url: '/v1/cmdb/sources',
      summary: 'Follow a BlueKing CMDB',
      description:
        'Stores the source (app secret sealed), starts a watcher per realtime resource (`cmdb-watch:<id>:<resource>`), a schedule per interval resource (same id) and a replay per sink (`cmdb-replay:<id>:<sinkId>`). Each watcher starts like an informer: bookmark, re-list into the mirror, watch from the bookmark.',
      tags: ['cmdb'],
      auth: 'operator',
      body: createBody,
      response: { 201: sourceView },
      async handler({ body }) {
        const issues: FieldIssue[] = [];
        const resources = checkResources(body.resources, retentionSeconds, issues);
        const sinks = checkSinks(body.sinks, [], secrets, issues);
        checkCredentials(body.apiStyle, body.appCode, Boolean(body.appSecret), issues);
        if (issues.length > 0) throw new UnprocessableError(issues);
        if (await nameTaken(body.name)) throw new ConflictError(`A CMDB source named ${JSON.stringify(body.name)} exists.`);

        const em = orm.em.fork();
        const id = crypto.randomUUID();
        const source = em.create(CmdbSource, {
          id,
          name: body.name,
          baseUrl: body.baseUrl,
          apiStyle: body.apiStyle,
          appCode: body.appCode,
          appSecretSealed: body.appSecret ? secrets.seal(body.appSecret, secretContext(id)) : null,
          username: body.username,
          supplierAccount: body.supplierAccount,
          resources,
          sinks,
        });
        await em.flush();
        try {
          await watchers.reconcile(null, planOf(source));
        } catch (error) {
          // Nothing half-written: whatever started is stopped and the row goes.
          await watchers.reconcile(planOf(source), null).catch(() => undefined);
          await deleteSourceData(orm, id);
          throw temporalUnavailable(error);
        }
        return view(source);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/sources',
      summary: 'List CMDB sources',
      tags: ['cmdb'],
      auth: 'viewer',
      response: { 200: z.object({ sources: z.array(sourceView) }) },
      async handler() {
        const sources = await orm.em.fork().find(CmdbSource, {}, { orderBy: { name: 'asc' } });
        return { sources: sources.map(view) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cmdb/sources/:id',
      summary: 'Read a CMDB source',
      tags: ['cmdb'],
      auth: 'viewer',
      params: idParams,
      response: { 200: sourceView },
      async handler({ params }) {
        return view(await load(params.id));
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/v1/cmdb/sources/:id',
      summary: 'Change a CMDB source, its watched resources or its sinks',
      description:
        'Watchers of removed resources stop, new ones start (informer start), a mode change swaps the watcher for a schedule or back; removed sinks stop replaying, new sinks receive changes from now on. A webhook sink given with its `id` keeps its secret unless a new one is given.',
      tags: ['cmdb'],
      auth: 'operator',
      params: idParams,
      body: patchBody,
      response: { 200: sourceView },
      async handler({ params, body }) {
        const em = orm.em.fork();
        const source = await em.findOne(CmdbSource, { id: params.id });
        if (!source) throw new NotFoundError(`CMDB source ${params.id} not found.`);
        const before = { ...planOf(source), snapshot: { ...source } };
        const issues: FieldIssue[] = [];
        const resources = body.resources ? checkResources(body.resources, retentionSeconds, issues) : source.resources;
        const sinks = body.sinks ? checkSinks(body.sinks, source.sinks, secrets, issues) : source.sinks;
        const apiStyle = body.apiStyle ?? source.apiStyle;
        checkCredentials(apiStyle, body.appCode ?? source.appCode, Boolean(body.appSecret ?? source.appSecretSealed), issues);
        if (issues.length > 0) throw new UnprocessableError(issues);
        if (body.name && (await nameTaken(body.name, source.id))) throw new ConflictError(`A CMDB source named ${JSON.stringify(body.name)} exists.`);

        const newSinkIds = sinks.filter((sink) => !source.sinks.some((old) => old.id === sink.id)).map((sink) => sink.id);
        const removedResources = source.resources.filter((old) => !resources.some((kept) => kept.resource === old.resource)).map((old) => old.resource);
        em.assign(source, {
          ...(body.name ? { name: body.name } : {}),
          ...(body.baseUrl ? { baseUrl: body.baseUrl } : {}),
          apiStyle,
          ...(body.appCode !== undefined ? { appCode: body.appCode } : {}),
          ...(body.appSecret ? { appSecretSealed: secrets.seal(body.appSecret, secretContext(source.id)) } : {}),
          ...(body.username ? { username: body.username } : {}),
          ...(body.supplierAccount ? { supplierAccount: body.supplierAccount } : {}),
          resources,
          sinks,
        });
        await em.flush();
        for (const sinkId of newSinkIds) await startSinkAtTip(orm, source.id, sinkId);
        try {
          await watchers.reconcile(before, planOf(source));
        } catch (error) {
          em.assign(source, before.snapshot);
          await em.flush();
          await watchers.reconcile(planOf(source), before).catch(() => undefined);
          throw temporalUnavailable(error);
        }
        // A resource watched again later starts from a fresh bookmark.
        for (const resource of removedResources) {
          await orm.em.fork().execute('delete from cmdb_cursor where source_id = ? and resource = ?', [source.id, resource]);
        }
        return view(source);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/cmdb/sources/:id',
      summary: 'Stop following a CMDB and delete its events and mirror',
      tags: ['cmdb'],
      auth: 'operator',
      params: idParams,
      response: { 204: z.undefined() },
      async handler({ params }) {
        const source = await load(params.id);
        try {
          await watchers.reconcile(planOf(source), null);
        } catch (error) {
          throw temporalUnavailable(error);
        }
        await deleteSourceData(orm, source.id);
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
        const source = await load(params.id);
        const cursors = new Map((await cursorReports(orm, source.id)).map((report) => [report.resource, report]));
        const sinkRows = await sinkReports(orm, source.id);
        const now = Date.now();
        return {
          sourceId: source.id,
          resources: source.resources.map((watched) => {
            const cursor = cursors.get(watched.resource);
            const lastSeq = cursor?.lastSeq ?? 0;
            return {
              resource: watched.resource,
              mode: watched.mode,
              state: cursor?.state ?? 'starting',
              stateDetail: cursor?.stateDetail ?? null,
              recovering: cursor?.state === 'recovering',
              cursorAgeSeconds: cursor?.cursor ? Math.max(0, (now - cursor.updatedAt.getTime()) / 1000) : null,
              lastEventAt: cursor?.lastEventAt?.toISOString() ?? null,
              caughtUpAt: cursor?.caughtUpAt?.toISOString() ?? null,
              lastRelistAt: cursor?.lastRelistAt?.toISOString() ?? null,
              received: lastSeq,
              sinks: source.sinks.map((sink) => {
                const row = sinkRows.find((candidate) => candidate.sinkId === sink.id && candidate.resource === watched.resource);
                const appliedSeq = row?.appliedSeq ?? 0;
                const dead = row?.dead ?? 0;
                return {
                  sinkId: sink.id,
                  type: sink.type,
                  appliedSeq,
                  applied: Math.max(0, appliedSeq - dead),
                  pending: Math.max(0, lastSeq - appliedSeq),
                  failed: row?.failed ?? 0,
                  dead,
                  lagSeconds: row?.oldestPendingAt ? Math.max(0, (now - row.oldestPendingAt.getTime()) / 1000) : 0,
                };
              }),
            };
          }),
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
      response: { 202: z.object({ sourceId: z.uuid(), resources: z.array(z.string()) }) },
      async handler({ params }) {
        const source = await load(params.id);
        await requestRelist(orm, source.id);
        try {
          await watchers.resync(planOf(source));
        } catch (error) {
          throw temporalUnavailable(error);
        }
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
      async handler({ params, body }) {
        const source = await load(params.id);
        const webhooks = source.sinks.filter((sink) => sink.type === 'webhook' && (!body.sinkId || sink.id === body.sinkId));
        if (body.sinkId && webhooks.length === 0) throw new UnprocessableError('body.sinkId', `no webhook sink ${body.sinkId} on this source`);
        const sinkIds = webhooks.map((sink) => sink.id);
        const redriven = await markDeadLettersForRedrive(orm, source.id, sinkIds, body.eventIds);
        await watchers.wakeReplays(source.id, sinkIds).catch(() => undefined);
        return { redriven };
      },
    }),
  ];
}
