// What a user can ask of CMDB sources: follow a BlueKing CMDB, change what it watches and where changes go, stop
// following it (watchers, schedules and replays kept in step through InStep), read per-resource status, re-list
// everything, and re-drive dead-lettered webhook deliveries. The app secret and webhook secrets are sealed here.
import type { Client } from '@temporalio/client';
import type { Orm } from '../../db/orm.ts';
import { type CmdbSource, cmdbSinkSecretContext, cmdbSourceSecretContext } from '../../db/entities/cmdb/cmdb-source.ts';
import { markDeadLettersForRedrive, requestRelist, startSinkAtTip } from '../../db/repositories/cmdb/cmdb-events.ts';
import { cursorReports, sinkReports } from '../../db/repositories/cmdb/cmdb-reports.ts';
import { isCmdbWatchResource, RESOURCES_REQUIRING_FIELDS, type CmdbWatchResource } from '../../integrations/cmdb/types.ts';
import type { SecretBox } from '../../security/secrets.ts';
import type { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import { maskUrl } from '../../integrations/outbound/masked-url.ts';
import {
  CMDB_REPLAY_RESOURCES,
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  type CmdbApiStyle,
  type CmdbReplayResource,
  type CmdbStoredSink,
  type CmdbWatchedResource,
  type CmdbWatchMode,
} from '../../contracts/cmdb.ts';
import { DependencyUnavailableError, InvalidInputError, type InputIssue } from '../errors.ts';
import { InStep } from '../in-step.ts';
import { checkOutboundAddress } from '../outbound-addresses.ts';
import { cmdbSourceTemporalSide } from './source-temporal-side.ts';

export interface CmdbSourceServiceDeps {
  orm: Orm;
  temporal: Client;
  secrets: SecretBox;
  taskQueuePrefix: string;
  /** CMDB's event retention as configured: an interval at least this long would lose its cursor every run. */
  retentionSeconds: number;
  /** Refuses a base URL or webhook URL the workers would not be allowed to call. */
  outbound: OutboundPolicy;
}

/** A watched resource as asked for: any name, checked against the resources opsflow replays. */
export type CmdbResourceRequest = Omit<CmdbWatchedResource, 'resource'> & { resource: string };

/** A sink given with the `id` of an existing one keeps it (a webhook then keeps its secret unless a new one is given). */
export type CmdbSinkRequest =
  | { type: 'topology' | 'cloud-link'; id?: string }
  | { type: 'webhook'; id?: string; url: string; secret?: string; maxAttempts?: number };

export interface NewCmdbSource {
  name: string;
  baseUrl: string;
  apiStyle: CmdbApiStyle;
  appCode: string;
  appSecret?: string;
  username: string;
  supplierAccount: string;
  resources: CmdbResourceRequest[];
  sinks: CmdbSinkRequest[];
}

/** Absent fields stay as they are. */
export type CmdbSourceChange = Partial<NewCmdbSource>;

export interface CmdbSinkStatus {
  sinkId: string;
  type: string;
  appliedSeq: number;
  applied: number;
  pending: number;
  failed: number;
  dead: number;
  /** Age of the oldest event this sink has not applied yet; 0 when caught up. */
  lagSeconds: number;
}

export interface CmdbResourceStatus {
  resource: string;
  mode: CmdbWatchMode;
  state: string;
  stateDetail: string | null;
  recovering: boolean;
  cursorAgeSeconds: number | null;
  lastEventAt: Date | null;
  caughtUpAt: Date | null;
  lastRelistAt: Date | null;
  received: number;
  sinks: CmdbSinkStatus[];
}

/** The checks a schema cannot express; every problem is reported at once, naming its field. */
function checkResources(requests: CmdbResourceRequest[], retentionSeconds: number, issues: InputIssue[]): CmdbWatchedResource[] {
  const seen = new Set<string>();
  const watched: CmdbWatchedResource[] = [];
  requests.forEach((request, index) => {
    const at = `resources.${index}`;
    if (!(CMDB_REPLAY_RESOURCES as readonly string[]).includes(request.resource)) {
      issues.push({
        path: `${at}.resource`,
        message: isCmdbWatchResource(request.resource)
          ? `${request.resource} is a CMDB resource opsflow does not replay; use one of ${CMDB_REPLAY_RESOURCES.join(', ')}`
          : `unknown CMDB resource ${JSON.stringify(request.resource)}; use one of ${CMDB_REPLAY_RESOURCES.join(', ')}`,
      });
      return;
    }
    if (seen.has(request.resource)) issues.push({ path: `${at}.resource`, message: `${request.resource} is listed twice` });
    seen.add(request.resource);
    if (RESOURCES_REQUIRING_FIELDS.includes(request.resource as CmdbWatchResource) && !request.fields?.length) {
      issues.push({ path: `${at}.fields`, message: `CMDB refuses a ${request.resource} watch without bk_fields; list the fields to receive` });
    }
    if (request.mode === 'realtime' && request.intervalMinutes !== undefined) {
      issues.push({ path: `${at}.intervalMinutes`, message: 'only applies to mode interval; a realtime watcher follows CMDB continuously' });
    }
    if (request.mode === 'interval') {
      if (request.intervalMinutes === undefined) issues.push({ path: `${at}.intervalMinutes`, message: 'is required for mode interval' });
      else if (request.intervalMinutes < 1 || request.intervalMinutes > 1440) issues.push({ path: `${at}.intervalMinutes`, message: 'must be from 1 to 1440 minutes' });
      else if (request.intervalMinutes * 60 >= retentionSeconds) {
        issues.push({
          path: `${at}.intervalMinutes`,
          message: `${request.intervalMinutes} minutes is not shorter than CMDB's event retention (${retentionSeconds} s): every run would find its cursor expired; use realtime or a shorter interval`,
        });
      }
    }
    watched.push({
      resource: request.resource as CmdbReplayResource,
      mode: request.mode,
      ...(request.intervalMinutes !== undefined ? { intervalMinutes: request.intervalMinutes } : {}),
      ...(request.fields ? { fields: request.fields } : {}),
      ...(request.eventTypes?.length ? { eventTypes: request.eventTypes } : {}),
    });
  });
  return watched;
}

function checkSinks(requests: CmdbSinkRequest[], existing: CmdbStoredSink[], secrets: SecretBox, issues: InputIssue[]): CmdbStoredSink[] {
  const sinks: CmdbStoredSink[] = [];
  const singletons = new Set<string>();
  requests.forEach((request, index) => {
    const at = `sinks.${index}`;
    const previous = request.id ? existing.find((sink) => sink.id === request.id) : undefined;
    if (request.id && (!previous || previous.type !== request.type)) {
      issues.push({ path: `${at}.id`, message: `no ${request.type} sink ${request.id} on this source` });
      return;
    }
    const id = previous?.id ?? crypto.randomUUID();
    if (request.type !== 'webhook') {
      if (singletons.has(request.type)) issues.push({ path: `${at}.type`, message: `a source has at most one ${request.type} sink` });
      singletons.add(request.type);
      sinks.push({ id, type: request.type });
      return;
    }
    const previousSecret = previous?.type === 'webhook' ? previous.secretSealed : undefined;
    if (!request.secret && !previousSecret) {
      issues.push({ path: `${at}.secret`, message: 'is required: it keys the HMAC-SHA256 signature of every delivery' });
      return;
    }
    // The API shows a webhook URL masked; that form sent back unchanged keeps the URL it stands for.
    const url = previous?.type === 'webhook' && request.url === maskUrl(previous.url) ? previous.url : request.url;
    sinks.push({
      id,
      type: 'webhook',
      url,
      secretSealed: request.secret ? secrets.seal(request.secret, cmdbSinkSecretContext(id)) : previousSecret!,
      maxAttempts: request.maxAttempts ?? (previous?.type === 'webhook' ? previous.maxAttempts : DEFAULT_WEBHOOK_MAX_ATTEMPTS),
    });
  });
  return sinks;
}

function checkCredentials(apiStyle: CmdbApiStyle, appCode: string, hasSecret: boolean, issues: InputIssue[]): void {
  if (apiStyle === 'native') return;
  if (!appCode) issues.push({ path: 'appCode', message: `is required for apiStyle ${apiStyle}` });
  if (!hasSecret) issues.push({ path: 'appSecret', message: `is required for apiStyle ${apiStyle}` });
}

/** The addresses the workers will call, each checked against the outbound policy under its field's name. */
async function checkAddresses(outbound: OutboundPolicy, baseUrl: string | undefined, sinks: CmdbSinkRequest[] | undefined, issues: InputIssue[]): Promise<void> {
  if (baseUrl !== undefined) await checkOutboundAddress(outbound, 'baseUrl', baseUrl, issues);
  for (const [index, sink] of (sinks ?? []).entries()) {
    if (sink.type === 'webhook') await checkOutboundAddress(outbound, `sinks.${index}.url`, sink.url, issues);
  }
}

function throwIssues(issues: InputIssue[]): void {
  if (issues.length > 0) throw new InvalidInputError(issues);
}

export function createCmdbSourceService(deps: CmdbSourceServiceDeps) {
  const { orm, secrets, retentionSeconds, outbound } = deps;
  const temporalSide = cmdbSourceTemporalSide(orm, deps.temporal, deps.taskQueuePrefix);
  const inStep = new InStep(orm, temporalSide.side);

  const get = (id: string): Promise<CmdbSource> => inStep.get(id);

  return {
    get,

    list: (): Promise<CmdbSource[]> => inStep.list(),

    /** Stores the source and starts its watchers, interval schedules and replays (each watcher starts like an informer). */
    async create(input: NewCmdbSource): Promise<CmdbSource> {
      const issues: InputIssue[] = [];
      const resources = checkResources(input.resources, retentionSeconds, issues);
      const sinks = checkSinks(input.sinks, [], secrets, issues);
      checkCredentials(input.apiStyle, input.appCode, Boolean(input.appSecret), issues);
      await checkAddresses(outbound, input.baseUrl, input.sinks, issues);
      throwIssues(issues);
      return inStep.create((id) => ({
        name: input.name,
        baseUrl: input.baseUrl,
        apiStyle: input.apiStyle,
        appCode: input.appCode,
        appSecretSealed: input.appSecret ? secrets.seal(input.appSecret, cmdbSourceSecretContext(id)) : null,
        username: input.username,
        supplierAccount: input.supplierAccount,
        resources,
        sinks,
      }));
    },

    /**
     * Watchers of removed resources stop, new ones start, a mode change swaps a watcher for a schedule or back;
     * removed sinks stop replaying, new sinks receive changes from now on.
     */
    async change(id: string, change: CmdbSourceChange): Promise<CmdbSource> {
      const current = await get(id);
      const issues: InputIssue[] = [];
      const resources = change.resources ? checkResources(change.resources, retentionSeconds, issues) : current.resources;
      const sinks = change.sinks ? checkSinks(change.sinks, current.sinks, secrets, issues) : current.sinks;
      const apiStyle = change.apiStyle ?? current.apiStyle;
      checkCredentials(apiStyle, change.appCode ?? current.appCode, Boolean(change.appSecret ?? current.appSecretSealed), issues);
      await checkAddresses(outbound, change.baseUrl, change.sinks, issues);
      throwIssues(issues);
      if (change.name) await inStep.refuseTakenName(change.name, current.id);

      // New sinks start at the events' tip; a refused change leaves these positions of sinks that never existed unused.
      for (const sink of sinks) if (!current.sinks.some((old) => old.id === sink.id)) await startSinkAtTip(orm, current.id, sink.id);
      const changed = await inStep.change(id, current.revision, {
        ...(change.name ? { name: change.name } : {}),
        ...(change.baseUrl ? { baseUrl: change.baseUrl } : {}),
        apiStyle,
        ...(change.appCode !== undefined ? { appCode: change.appCode } : {}),
        ...(change.appSecret ? { appSecretSealed: secrets.seal(change.appSecret, cmdbSourceSecretContext(id)) } : {}),
        ...(change.username ? { username: change.username } : {}),
        ...(change.supplierAccount ? { supplierAccount: change.supplierAccount } : {}),
        resources,
        sinks,
      });
      // A resource watched again later starts from a fresh bookmark.
      for (const old of current.resources) {
        if (!resources.some((kept) => kept.resource === old.resource)) {
          await orm.em.fork().execute('delete from cmdb_cursor where source_id = ? and resource = ?', [id, old.resource]);
        }
      }
      return changed;
    },

    /** Stops every watcher, schedule and replay of the source, then deletes it with its events and mirror. */
    delete: (id: string): Promise<void> => inStep.delete(id),

    /** Per watched resource: the watcher's state and cursor, and per sink how far it has applied. */
    async status(id: string): Promise<CmdbResourceStatus[]> {
      const source = await get(id);
      const cursors = new Map((await cursorReports(orm, source.id)).map((report) => [report.resource, report]));
      const sinkRows = await sinkReports(orm, source.id);
      const now = Date.now();
      return source.resources.map((watched) => {
        const cursor = cursors.get(watched.resource);
        const lastSeq = cursor?.lastSeq ?? 0;
        return {
          resource: watched.resource,
          mode: watched.mode,
          state: cursor?.state ?? 'starting',
          stateDetail: cursor?.stateDetail ?? null,
          recovering: cursor?.state === 'recovering',
          cursorAgeSeconds: cursor?.cursor ? Math.max(0, (now - cursor.updatedAt.getTime()) / 1000) : null,
          lastEventAt: cursor?.lastEventAt ?? null,
          caughtUpAt: cursor?.caughtUpAt ?? null,
          lastRelistAt: cursor?.lastRelistAt ?? null,
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
      });
    },

    /** Each watcher takes a new bookmark, re-lists its resource into the mirror and watches on from the bookmark. */
    async resync(id: string): Promise<CmdbSource> {
      const source = await get(id);
      inStep.refuseIfDeleting(source);
      await requestRelist(orm, source.id);
      try {
        await temporalSide.resync(source);
      } catch (error) {
        throw new DependencyUnavailableError('temporal', 'Temporal refused to signal the CMDB watchers; the re-list is recorded and runs when each watcher next polls', error);
      }
      return source;
    },

    /** Dead letters of one webhook sink (or all of them), optionally only some events, get a fresh set of attempts. */
    async redriveDeadLetters(id: string, sinkId?: string, eventIds?: string[]): Promise<number> {
      const source = await get(id);
      const webhooks = source.sinks.filter((sink) => sink.type === 'webhook' && (!sinkId || sink.id === sinkId));
      if (sinkId && webhooks.length === 0) throw InvalidInputError.of('sinkId', `no webhook sink ${sinkId} on this source`);
      const sinkIds = webhooks.map((sink) => sink.id);
      const redriven = await markDeadLettersForRedrive(orm, source.id, sinkIds, eventIds);
      // The replays find the re-driven events on their next idle check even if this wake is lost.
      await temporalSide.wakeReplays(source.id, sinkIds).catch(() => undefined);
      return redriven;
    },

    /** Brings the watchers of sources a crash or a refusal left out of step back to their rows. */
    reconcile: () => inStep.reconcile(),
  };
}

export type CmdbSourceService = ReturnType<typeof createCmdbSourceService>;
