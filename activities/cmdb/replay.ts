// Replays stored CMDB events into one sink, in order per resource, from the sink's own position. The topology and
// cloud-link sinks write and move their position in one transaction (exactly once in effect); the webhook sink
// delivers at least once, moving its position after each accepted POST, and dead-letters an event after N attempts.
import { ApplicationFailure } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm.ts';
import type { SecretBox } from '../../security/secrets.ts';
import type { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import { CmdbSource, cmdbSinkSecretContext } from '../../db/entities/cmdb/cmdb-source.ts';
import {
  clearSinkTrouble,
  eventsAfter,
  eventsToRedrive,
  lockSinkPosition,
  moveSinkPosition,
  recordSinkTrouble,
  type StoredCmdbEvent,
} from '../../db/repositories/cmdb/cmdb-events.ts';
import { applyStoredTopologyEvents, collapseChanges } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { relinkHosts } from '../../db/repositories/cmdb/cmdb-cloud-links.ts';
import { deliverWebhook, WebhookDeliveryError } from '../../integrations/cmdb/webhook.ts';
import { type CmdbReplayInput, type CmdbReplayOutcome, type CmdbReplayResource, type CmdbStoredSink } from '../../contracts/cmdb.ts';
import { whileHeartbeating } from '../heartbeat.ts';
import { CMDB_FAILURES } from '../../contracts/failure-types.ts';

export interface CmdbReplayActivityDeps {
  orm: Orm;
  secrets: SecretBox;
  outbound: OutboundPolicy;
}

const TOPOLOGY_BATCH = 1000;
const WEBHOOK_BATCH = 100;
/** One activity call replays for at most this long, then reports `more` so the workflow calls again. */
const CALL_BUDGET_MS = 20_000;

type WebhookSink = Extract<CmdbStoredSink, { type: 'webhook' }>;

export function createCmdbReplayActivities({ orm, secrets, outbound }: CmdbReplayActivityDeps) {
  /** One transaction: lock the position, read the next events, apply them, move the position. */
  async function replayInTransaction(
    sourceId: string,
    sinkId: string,
    resource: CmdbReplayResource,
    apply: (tx: EntityManager, events: StoredCmdbEvent[]) => Promise<void>,
  ): Promise<number> {
    return orm.em.fork().transactional(async (tx) => {
      const position = await lockSinkPosition(tx, sourceId, sinkId, resource);
      const events = await eventsAfter(tx, sourceId, resource, position, TOPOLOGY_BATCH);
      if (events.length === 0) return 0;
      await apply(tx, events);
      await moveSinkPosition(tx, sourceId, sinkId, resource, events[events.length - 1]!.seq);
      return events.length;
    });
  }

  /** The topology mirror is applied inside PostgreSQL, from the stored events, in the position's transaction. */
  async function replayTopology(sourceId: string, sinkId: string, resource: CmdbReplayResource): Promise<number> {
    return orm.em.fork().transactional(async (tx) => {
      const position = await lockSinkPosition(tx, sourceId, sinkId, resource);
      const { count, lastSeq } = await applyStoredTopologyEvents(tx, sourceId, resource, position, TOPOLOGY_BATCH);
      if (count > 0) await moveSinkPosition(tx, sourceId, sinkId, resource, lastSeq);
      return count;
    });
  }

  async function linkHostsToCloud(tx: EntityManager, sourceId: string, events: StoredCmdbEvent[]): Promise<void> {
    const { upserts, deletes } = collapseChanges('host', events.map((event) => ({ eventType: event.eventType, detail: event.detail })));
    await relinkHosts(tx, sourceId, upserts, deletes);
  }

  async function deliver(source: CmdbSource, sink: WebhookSink, resource: string, event: StoredCmdbEvent, signal: AbortSignal): Promise<void> {
    const secret = secrets.open<string>(sink.secretSealed, cmdbSinkSecretContext(sink.id));
    const body = {
      eventId: event.id,
      sourceId: source.id,
      resource,
      seq: event.seq,
      cursor: event.cursor,
      eventType: event.eventType,
      detail: event.detail,
      receivedAt: event.receivedAt.toISOString(),
    };
    await deliverWebhook(outbound, sink.url, secret, body, { signal });
  }

  /**
   * A failed delivery is recorded on the event; below the attempt limit the activity fails so Temporal retries it
   * with backoff (the sink's position stays, so order holds); at the limit, or at once when the outbound policy
   * refused the call (a retry would be refused the same way), the event becomes a dead letter to redrive once fixed.
   */
  async function deliveryFailed(sink: WebhookSink, event: StoredCmdbEvent, error: WebhookDeliveryError): Promise<'dead'> {
    const attempts = (event.sinkStates[sink.id]?.attempts ?? 0) + 1;
    const dead = attempts >= sink.maxAttempts || !error.retryable;
    await recordSinkTrouble(orm, event.id, sink.id, { state: dead ? 'dead' : 'failed', attempts, lastError: error.message, at: new Date().toISOString() });
    if (dead) return 'dead';
    throw ApplicationFailure.retryable(`${error.message} (attempt ${attempts} of ${sink.maxAttempts})`, CMDB_FAILURES.sinkUnavailable);
  }

  async function replayWebhook(source: CmdbSource, sink: WebhookSink, deadline: number, signal: AbortSignal): Promise<{ applied: number; more: boolean }> {
    let applied = 0;
    const em = orm.em.fork();
    for (const event of await eventsToRedrive(em, source.id, sink.id, WEBHOOK_BATCH)) {
      try {
        await deliver(source, sink, event.resource, event, signal);
        await recordSinkTrouble(orm, event.id, sink.id, { ...event.sinkStates[sink.id]!, state: 'redriven', lastError: null, at: new Date().toISOString() });
        applied += 1;
      } catch (error) {
        if (!(error instanceof WebhookDeliveryError)) throw error;
        await deliveryFailed(sink, event, error);
      }
      signal.throwIfAborted();
    }
    for (const { resource } of source.resources) {
      for (;;) {
        const position = await lockSinkPosition(orm.em.fork(), source.id, sink.id, resource);
        const events = await eventsAfter(orm.em.fork(), source.id, resource, position, WEBHOOK_BATCH);
        for (const event of events) {
          try {
            await deliver(source, sink, resource, event, signal);
            const tx = orm.em.fork();
            if (event.sinkStates[sink.id]) await clearSinkTrouble(tx, event.id, sink.id);
            applied += 1;
          } catch (error) {
            if (!(error instanceof WebhookDeliveryError)) throw error;
            await deliveryFailed(sink, event, error);
          }
          await moveSinkPosition(orm.em.fork(), source.id, sink.id, resource, event.seq);
          signal.throwIfAborted();
          if (Date.now() > deadline) return { applied, more: true };
        }
        if (events.length < WEBHOOK_BATCH) break;
      }
    }
    return { applied, more: false };
  }

  return {
    async replayCmdbSink(input: CmdbReplayInput): Promise<CmdbReplayOutcome> {
      const source = await orm.em.fork().findOne(CmdbSource, { id: input.sourceId });
      const sink = source?.sinks.find((candidate) => candidate.id === input.sinkId);
      if (!source || !sink) return { applied: 0, more: false, gone: true };
      const deadline = Date.now() + CALL_BUDGET_MS;
      // A slow receiver or a long batch must not look like a dead worker; a cancelled replay stops after the event
      // or batch in hand, whose position is already stored.
      return whileHeartbeating(async (signal) => {
        if (sink.type === 'webhook') return { ...(await replayWebhook(source, sink, deadline, signal)), gone: false };
        let applied = 0;
        for (const { resource } of source.resources) {
          for (;;) {
            const count =
              sink.type === 'topology'
                ? await replayTopology(source.id, sink.id, resource)
                : await replayInTransaction(source.id, sink.id, resource, async (tx, events) => {
                    if (resource === 'host') await linkHostsToCloud(tx, source.id, events);
                  });
            applied += count;
            signal.throwIfAborted();
            if (Date.now() > deadline) return { applied, more: true, gone: false };
            if (count < TOPOLOGY_BATCH) break;
          }
        }
        return { applied, more: false, gone: false };
      }, { every: 2_000 });
    },
  };
}

export type CmdbReplayActivities = ReturnType<typeof createCmdbReplayActivities>;
