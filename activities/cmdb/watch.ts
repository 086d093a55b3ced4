// Activities of the CMDB watchers: one long poll per call whose batch is stored with the new cursor in one
// transaction; the informer start (from-now bookmark, re-list into the mirror, then watch from the bookmark);
// and the two recoveries from an expired cursor (bk_start_from inside the window, or a full re-list).
import type { Orm } from '../../db/orm.ts';
import type { SecretBox } from '../../security/secrets.ts';
import type { Config } from '../../config/env.ts';
import type { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import { CmdbCursorExpiredError, CmdbError, CmdbStartFromOutOfRangeError } from '../../integrations/cmdb/errors.ts';
import { nonRetryableCmdbFailures } from '../../contracts/failure-types.ts';
import type { ResourceWatchRequest, ResourceWatchResult } from '../../integrations/cmdb/types.ts';
import { effectiveFields, type CmdbPollOutcome, type CmdbReplayResource } from '../../contracts/cmdb.ts';
import { ensureCursorRow, lockSinkPosition, moveSinkPosition, setCursorState, storeCmdbBatch } from '../../db/repositories/cmdb/cmdb-events.ts';
import { replaceTopologyResource } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { relinkHosts } from '../../db/repositories/cmdb/cmdb-cloud-links.ts';
import { openCmdbSource, watchedResource, type OpenedSource } from './source-access.ts';
import { listCmdbResource } from './relist.ts';
import { whileHeartbeating } from '../heartbeat.ts';

export interface CmdbWatchActivityDeps {
  orm: Orm;
  secrets: SecretBox;
  config: Config;
  outbound: OutboundPolicy;
}

export interface CmdbResourceRef {
  sourceId: string;
  resource: CmdbReplayResource;
}

/** A long poll on a live worker must not be mistaken for a dead one (cmdbLongPoll's heartbeat timeout is 10 s). */
const heartbeat = { every: 3_000 };
const CMDB_MAX_EVENTS_PER_CALL = 200;
/** Limits of one poll activity that catches up on a backlog: then the watcher wakes the sinks and polls again. */
const MAX_BATCHES_PER_POLL = 25;
const MAX_POLL_CALL_MS = 5_000;
/** bk_start_from goes this far before the caught-up time, so an event written in the same second is not missed. */
const MAX_RESUME_MARGIN_SECONDS = 60;

function watchRequest(opened: OpenedSource, resource: CmdbReplayResource): Omit<ResourceWatchRequest, 'bk_cursor' | 'bk_start_from'> {
  const watched = watchedResource(opened.source, resource);
  return {
    bk_resource: resource,
    bk_fields: effectiveFields(resource, watched?.fields),
    ...(watched?.eventTypes?.length ? { bk_event_types: watched.eventTypes } : {}),
  };
}

/** CMDB refuses this watcher for a reason only a person can fix: report it as a state, not as an endless retry. */
function refusal(error: unknown): string | undefined {
  return error instanceof CmdbError && nonRetryableCmdbFailures.includes(error.name) ? error.message : undefined;
}

export function createCmdbWatchActivities({ orm, secrets, config, outbound }: CmdbWatchActivityDeps) {
  const retentionSeconds = config.cmdb.retentionSeconds;
  const resumeMargin = Math.min(MAX_RESUME_MARGIN_SECONDS, Math.floor(retentionSeconds / 4));

  async function store(
    ref: CmdbResourceRef,
    result: ResourceWatchResult,
    requestedAt: Date,
    sinkIds: string[],
    expectedCursor: string,
  ): Promise<CmdbPollOutcome> {
    // An answer with fewer than the per-call maximum held every matching event that existed when CMDB read the chain.
    const drained = !result.watched || result.events.length < CMDB_MAX_EVENTS_PER_CALL;
    const { stored } = await storeCmdbBatch(orm, {
      sourceId: ref.sourceId,
      resource: ref.resource,
      events: result.events.map((event) => ({ cursor: event.bk_cursor, eventType: event.bk_event_type, detail: event.bk_detail })),
      cursor: result.cursor,
      receivedAt: new Date(),
      caughtUpAt: drained ? requestedAt : null,
      expectedCursor,
    });
    return { kind: 'stored', received: result.events.length, stored, drained, sinkIds };
  }

  async function refused(ref: CmdbResourceRef, detail: string): Promise<CmdbPollOutcome> {
    await setCursorState(orm, ref.sourceId, ref.resource, 'failed', detail);
    return { kind: 'refused', detail };
  }

  return {
    /** One long poll from the stored cursor; the batch and the new cursor are committed together. */
    async pollCmdbResource(ref: CmdbResourceRef): Promise<CmdbPollOutcome> {
      const opened = await openCmdbSource(orm, secrets, outbound, ref.sourceId);
      if (!opened || !watchedResource(opened.source, ref.resource)) return { kind: 'source-gone' };
      const position = await ensureCursorRow(orm, ref.sourceId, ref.resource);
      if (!position.cursor || position.relistRequested) return { kind: 'needs-start' };
      const sinkIds = opened.source.sinks.map((sink) => sink.id);
      const request = watchRequest(opened, ref.resource);
      const started = Date.now();
      let received = 0;
      let stored = 0;
      try {
        // A backlog is drained batch after batch in this one call (each batch committed with its cursor), so
        // catching up costs one activity per many batches, not one per 200 events; while a full batch is being
        // stored the next one is already fetched.
        return await whileHeartbeating(async (cancelled) => {
          // Ends a prefetch left in flight when storing fails.
          const done = new AbortController();
          const signal = AbortSignal.any([cancelled, done.signal]);
          const fetchAfter = (after: string): Promise<{ result: ResourceWatchResult; requestedAt: Date; after: string }> => {
            const requestedAt = new Date();
            return opened.client.resourceWatch({ ...request, bk_cursor: after }, { signal }).then((result) => ({ result, requestedAt, after }));
          };
          let next: ReturnType<typeof fetchAfter> | undefined = fetchAfter(position.cursor!);
          for (let batches = 1; ; batches += 1) {
            const fetched: { result: ResourceWatchResult; requestedAt: Date; after: string } = await next!;
            const { result, requestedAt, after } = fetched;
            const more: boolean = result.events.length >= CMDB_MAX_EVENTS_PER_CALL && batches < MAX_BATCHES_PER_POLL && Date.now() - started < MAX_POLL_CALL_MS;
            // A prefetch that fails is reported by the next loop turn, or not at all once this call has returned.
            next = more ? fetchAfter(result.cursor) : undefined;
            next?.catch(() => undefined);
            let outcome: CmdbPollOutcome;
            try {
              outcome = await store(ref, result, requestedAt, sinkIds, after);
            } catch (error) {
              done.abort();
              throw error;
            }
            received += result.events.length;
            stored += outcome.kind === 'stored' ? outcome.stored : 0;
            if (!next) return { ...outcome, received, stored } as CmdbPollOutcome;
          }
        }, heartbeat);
      } catch (error) {
        if (error instanceof CmdbCursorExpiredError) {
          const nowSec = Math.floor(Date.now() / 1000);
          const caughtUpSec = position.caughtUpAt ? Math.floor(position.caughtUpAt.getTime() / 1000) : null;
          const resumeFrom = caughtUpSec === null ? null : caughtUpSec - resumeMargin;
          const inside = resumeFrom !== null && nowSec - resumeFrom < retentionSeconds - resumeMargin;
          await setCursorState(orm, ref.sourceId, ref.resource, 'recovering', `cursor expired: ${error.message}`);
          return { kind: 'cursor-expired', resumeFrom: inside ? resumeFrom : null };
        }
        const detail = refusal(error);
        if (detail) return refused(ref, detail);
        throw error;
      }
    },

    /**
     * Resumes after an expired cursor from a time inside the window; events already stored are skipped by their
     * cursor. Out of range (CMDB's window is shorter than configured) means a re-list is needed.
     */
    async resumeCmdbResource(ref: CmdbResourceRef & { startFrom: number }): Promise<CmdbPollOutcome> {
      const opened = await openCmdbSource(orm, secrets, outbound, ref.sourceId);
      if (!opened || !watchedResource(opened.source, ref.resource)) return { kind: 'source-gone' };
      const requestedAt = new Date();
      try {
        const position = await ensureCursorRow(orm, ref.sourceId, ref.resource);
        const result = await whileHeartbeating(
          (signal) => opened.client.resourceWatch({ ...watchRequest(opened, ref.resource), bk_start_from: ref.startFrom }, { signal }),
          heartbeat,
        );
        return await store(ref, result, requestedAt, opened.source.sinks.map((sink) => sink.id), position.cursor ?? '');
      } catch (error) {
        if (error instanceof CmdbStartFromOutOfRangeError) return { kind: 'cursor-expired', resumeFrom: null };
        const detail = refusal(error);
        if (detail) return refused(ref, detail);
        throw error;
      }
    },

    /**
     * The informer start, also the recovery when the window was missed and the resync: take a from-now bookmark,
     * list the resource into the mirror (deleting what no longer exists), then watch from the bookmark. Stored
     * events the mirror has not applied yet are superseded by the listing, so its position moves past them.
     */
    async startCmdbResource(ref: CmdbResourceRef): Promise<CmdbPollOutcome> {
      const opened = await openCmdbSource(orm, secrets, outbound, ref.sourceId);
      if (!opened || !watchedResource(opened.source, ref.resource)) return { kind: 'source-gone' };
      await ensureCursorRow(orm, ref.sourceId, ref.resource);
      const request = watchRequest(opened, ref.resource);
      const bookmarkedAt = new Date();
      try {
        // The listing and its write into the mirror can take long: the heartbeat runs until the bookmark is stored.
        return await whileHeartbeating(async (signal) => {
          const bookmark = await opened.client.resourceWatch(request, { signal });
          // Sinks that hold state (the mirror, the cloud links) take the listing; the webhook sink gets changes only.
          const topology = opened.source.sinks.find((sink) => sink.type === 'topology');
          const cloudLink = ref.resource === 'host' ? opened.source.sinks.find((sink) => sink.type === 'cloud-link') : undefined;
          if (topology || cloudLink) {
            const listed = await listCmdbResource(opened.client, ref.resource, request.bk_fields ?? [], { signal });
            await orm.em.fork().transactional(async (tx) => {
              const [row] = await tx.execute<Array<{ last_seq: string }>>(
                'select last_seq from cmdb_cursor where source_id = ? and resource = ? for update',
                [ref.sourceId, ref.resource],
              );
              const lastSeq = Number(row?.last_seq ?? 0);
              if (topology) {
                await lockSinkPosition(tx, ref.sourceId, topology.id, ref.resource);
                await replaceTopologyResource(tx, ref.sourceId, ref.resource, listed);
                await moveSinkPosition(tx, ref.sourceId, topology.id, ref.resource, lastSeq);
              }
              if (cloudLink) {
                await lockSinkPosition(tx, ref.sourceId, cloudLink.id, ref.resource);
                await relinkHosts(tx, ref.sourceId, listed, [], true);
                await moveSinkPosition(tx, ref.sourceId, cloudLink.id, ref.resource, lastSeq);
              }
            });
          }
          await orm.em.fork().execute(
            `update cmdb_cursor set cursor = ?, caught_up_at = ?, state = 'watching', state_detail = null,
               relist_requested = false, last_relist_at = now(), updated_at = now()
             where source_id = ? and resource = ?`,
            [bookmark.cursor, bookmarkedAt, ref.sourceId, ref.resource],
          );
          return { kind: 'stored', received: 0, stored: 0, drained: true, sinkIds: opened.source.sinks.map((sink) => sink.id) };
        }, heartbeat);
      } catch (error) {
        const detail = refusal(error);
        if (detail) return refused(ref, detail);
        throw error;
      }
    },
  };
}

export type CmdbWatchActivities = ReturnType<typeof createCmdbWatchActivities>;
