// Replays stored CMDB events into one sink, in order per resource, from the sink's own position. The topology and
// cloud-link sinks write and move their position in one transaction (exactly once in effect); the webhook sink
// delivers at least once under a lease on its position, moving it after each accepted POST, and dead-letters an
// event after N attempts.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm.ts';
import type { SecretBox } from '../../security/secrets.ts';
import type { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import { CmdbSource, cmdbSinkSecretContext } from '../../db/entities/cmdb/cmdb-source.ts';
import {
  claimSinkPosition,
  clearSinkTrouble,
  eventsAfter,
  eventsToRedrive,
  lockSinkPosition,
  moveLeasedSinkPosition,
  moveSinkPosition,
  recordSinkTrouble,
  releaseSinkPosition,
  type StoredCmdbEvent,
} from '../../db/repositories/cmdb/cmdb-events.ts';
import { applyStoredTopologyEvents, collapseChanges } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { relinkHosts } from '../../db/repositories/cmdb/cmdb-cloud-links.ts';
import { deliverWebhook, WEBHOOK_TIMEOUT_MS, WebhookDeliveryError } from '../../integrations/cmdb/webhook.ts';
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

/** One webhook POST gives up after this long (a WebhookDeliveryError, retried with backoff). */
const DELIVERY_TIMEOUT_MS = WEBHOOK_TIMEOUT_MS;
/**
 * How long a claim of a webhook position lasts without renewal; every position move renews it. It bounds how long
 * a retried attempt waits for the position of an attempt that died holding it.
 */
const LEASE_MS = 20_000;
/** A delivery starts only with this much of the lease left, so it ends (or times out) while the lease still holds. */
const LEASE_NEEDED_TO_DELIVER_MS = DELIVERY_TIMEOUT_MS + 5_000;
/** How often a replay call asks again for a position another call holds. */
const LEASE_POLL_MS = 500;

interface LeasedPosition {
  sourceId: string;
  sinkId: string;
  resource: string;
  /** This replay call's own id, written into the position while it holds the lease. */
  holder: string;
}

/**
 * One replay call's lease on a webhook position: two replay attempts of a sink can run at once (a retry that
 * overlaps an attempt whose worker stalled), and only the holder delivers, so each event is posted once per position
 * move and in order per resource. Deliveries start only while enough of the lease is left, and every write is fenced
 * by the holder id, so an attempt that stalled past its lease neither delivers after the next holder nor moves the
 * position back.
 */
class WebhookPositionLease {
  readonly #orm: Orm;
  readonly #key: LeasedPosition;
  /** performance.now() when the lease was last claimed or renewed; the database's expiry is at least LEASE_MS later. */
  #renewedAt: number;
  position: number;

  constructor(orm: Orm, key: LeasedPosition, position: number, claimedAt: number) {
    this.#orm = orm;
    this.#key = key;
    this.position = position;
    this.#renewedAt = claimedAt;
  }

  async beforeDelivery(): Promise<void> {
    if (performance.now() - this.#renewedAt > LEASE_MS - LEASE_NEEDED_TO_DELIVER_MS) await this.move(this.position);
  }

  async move(appliedSeq: number): Promise<void> {
    const { sourceId, sinkId, resource, holder } = this.#key;
    const renewedAt = performance.now();
    if (!(await moveLeasedSinkPosition(this.#orm, sourceId, sinkId, resource, holder, appliedSeq, LEASE_MS))) {
      throw ApplicationFailure.retryable(
        `replay of sink ${sinkId} (${resource}) lost its lease on the position after seq ${this.position}: this call stalled longer than ${LEASE_MS} ms and another replay took over`,
        CMDB_FAILURES.sinkLeaseLost,
      );
    }
    this.#renewedAt = renewedAt;
    this.position = Math.max(this.position, appliedSeq);
  }

  release(): Promise<void> {
    const { sourceId, sinkId, resource, holder } = this.#key;
    return releaseSinkPosition(this.#orm, sourceId, sinkId, resource, holder);
  }
}

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
    await deliverWebhook(outbound, sink.url, secret, body, { signal, timeoutMs: DELIVERY_TIMEOUT_MS });
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

  /**
   * Claims the webhook position of (sink, resource), waiting (heartbeating, cancellable) while another replay call
   * holds it; undefined when this call's time budget runs out first.
   */
  async function claimWhenFree(sourceId: string, sinkId: string, resource: string, deadline: number): Promise<WebhookPositionLease | undefined> {
    const holder = randomUUID();
    for (;;) {
      const claimedAt = performance.now();
      const position = await claimSinkPosition(orm, sourceId, sinkId, resource, holder, LEASE_MS);
      if (position !== undefined) return new WebhookPositionLease(orm, { sourceId, sinkId, resource, holder }, position, claimedAt);
      if (Date.now() > deadline) return undefined;
      await Context.current().sleep(LEASE_POLL_MS);
    }
  }

  async function replayWebhook(source: CmdbSource, sink: WebhookSink, deadline: number, signal: AbortSignal): Promise<{ applied: number; more: boolean }> {
    let applied = 0;
    for (const { resource } of source.resources) {
      const lease = await claimWhenFree(source.id, sink.id, resource, deadline);
      if (!lease) return { applied, more: true };
      try {
        for (const event of await eventsToRedrive(orm.em.fork(), source.id, sink.id, resource, WEBHOOK_BATCH)) {
          await lease.beforeDelivery();
          try {
            await deliver(source, sink, resource, event, signal);
            await recordSinkTrouble(orm, event.id, sink.id, { ...event.sinkStates[sink.id]!, state: 'redriven', lastError: null, at: new Date().toISOString() });
            applied += 1;
          } catch (error) {
            if (!(error instanceof WebhookDeliveryError)) throw error;
            await deliveryFailed(sink, event, error);
          }
          signal.throwIfAborted();
        }
        for (;;) {
          const events = await eventsAfter(orm.em.fork(), source.id, resource, lease.position, WEBHOOK_BATCH);
          for (const event of events) {
            await lease.beforeDelivery();
            try {
              await deliver(source, sink, resource, event, signal);
              if (event.sinkStates[sink.id]) await clearSinkTrouble(orm.em.fork(), event.id, sink.id);
              applied += 1;
            } catch (error) {
              if (!(error instanceof WebhookDeliveryError)) throw error;
              await deliveryFailed(sink, event, error);
            }
            await lease.move(event.seq);
            signal.throwIfAborted();
            if (Date.now() > deadline) return { applied, more: true };
          }
          if (events.length < WEBHOOK_BATCH) break;
        }
      } finally {
        await lease.release();
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
