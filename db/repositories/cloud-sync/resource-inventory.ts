// The inventory's write path for a sync: each page is committed in one transaction that advances the region's
// checkpoint (guarded by the page count, so two attempts can never both commit a page), upserts every resource
// of the page in one multi-row statement and rewrites the edges of those it created or changed. Raw SQL with bound
// parameters on the ORM's own connection pool: the upsert must tell created, updated and unchanged rows apart,
// which no ORM call returns.
import type { EntityManager } from '@mikro-orm/postgresql';
import { boundStatement, type BoundResult } from '../../bound-query.ts';
import type { Orm } from '../../orm.ts';
import type { RegionCheckpoint, RegionCounts } from '../../entities/cloud-sync/sync-run.ts';

export interface InventoryRelation {
  kind: string;
  toType: string;
  toExternalId: string;
}

/** A normalized resource ready to store: its content hash decides whether a sync counts it as changed. */
export interface InventoryRecord {
  externalId: string;
  zone: string | null;
  name: string | null;
  status: string | null;
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
  extra: Record<string, unknown>;
  raw: unknown;
  contentHash: string;
  relations: InventoryRelation[];
}

export interface InventoryScope {
  runId: string;
  accountId: string;
  provider: string;
  type: string;
  region: string;
}

export interface RegionProgress {
  checkpoint: RegionCheckpoint;
  counts: RegionCounts;
}

export const zeroCounts = (): RegionCounts => ({ created: 0, updated: 0, unchanged: 0, expired: 0 });

/** Another attempt of the same region committed a page first; this attempt must stop without writing. */
export class CheckpointMovedError extends Error {
  override readonly name = 'CheckpointMovedError';
  constructor(scope: InventoryScope, pages: number) {
    super(`sync run ${scope.runId} region ${scope.region}: the checkpoint is no longer at page ${pages}; another attempt owns this region`);
  }
}

/**
 * The run ended (cancelled and abandoned) while one of its listings was still going: that listing commits nothing
 * more and expires nothing, since what it has not seen may well still exist.
 */
export class SyncRunEndedError extends Error {
  override readonly name = 'SyncRunEndedError';
  constructor(scope: InventoryScope, state: string) {
    super(`sync run ${scope.runId} is ${state}, no longer running: region ${scope.region} commits no further page and expires nothing`);
  }
}

// RETURNING old.* (PostgreSQL 18) sees each row as it was before this statement: no old row means inserted, and a
// different hash (or an un-expiry) means updated. Only those get their edges rewritten; an unchanged resource's
// hash covers its edges, so they are already right.
const upsertPageSql = `
insert into resource as r (id, account_id, provider, type, region, zone, external_id, name, status, attributes, tags, extra, raw,
                           content_hash, first_seen_at, last_seen_at, last_sync_run, expired_at)
select gen_random_uuid(), $1::uuid, $2, $3, $4, i.zone, i.external_id, i.name, i.status, i.attributes, i.tags, i.extra, i.raw,
       i.content_hash, now(), now(), $5::uuid, null
from jsonb_to_recordset($6::jsonb)
  as i(external_id text, zone text, name text, status text, attributes jsonb, tags jsonb, extra jsonb, raw jsonb, content_hash text)
on conflict (account_id, type, region, external_id) do update set
  provider = excluded.provider, zone = excluded.zone, name = excluded.name, status = excluded.status,
  attributes = excluded.attributes, tags = excluded.tags, extra = excluded.extra, raw = excluded.raw,
  content_hash = excluded.content_hash, last_seen_at = excluded.last_seen_at, last_sync_run = excluded.last_sync_run,
  expired_at = null
returning new.id, new.external_id, old.id is null as inserted,
          (old.content_hash is distinct from new.content_hash or old.expired_at is not null) as changed`;

// Two statements, not one: a DELETE and an INSERT in the same statement share a snapshot, so the INSERT would
// still collide with the edges being deleted.
const dropRelationsSql = `delete from resource_relation where from_id = any($1::uuid[])`;
const insertRelationsSql = `
insert into resource_relation (from_id, kind, to_type, to_external_id, account_id)
select x.from_id, x.kind, x.to_type, x.to_external_id, $1::uuid from jsonb_to_recordset($2::jsonb)
  as x(from_id uuid, kind text, to_type text, to_external_id text)`;

/** pg-style `query(text, values)` over an EntityManager's connection or open transaction. */
interface SqlClient {
  query<T = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<BoundResult<T>>;
}

const sqlClient = (em: EntityManager): SqlClient => ({ query: (text, values) => boundStatement(em, text, values) });

export class ResourceInventory {
  readonly #orm: Orm;

  constructor(orm: Orm) {
    this.#orm = orm;
  }

  async #transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
    return this.#orm.em.fork().transactional((em) => work(sqlClient(em)));
  }

  /** Why a guarded write of the region's checkpoint matched no row: the run ended, or another attempt moved on. */
  async #refusal(client: SqlClient, scope: InventoryScope, pages: number): Promise<Error> {
    const { rows } = await client.query<{ state: string }>(`select state from sync_run where id = $1`, [scope.runId]);
    const state = rows[0]?.state ?? 'deleted';
    return state === 'running' ? new CheckpointMovedError(scope, pages) : new SyncRunEndedError(scope, state);
  }

  /** The region's checkpoint and counts, creating them (listing starts now, database time) on the first attempt. */
  async beginRegion(runId: string, region: string): Promise<RegionProgress> {
    const { rows } = await sqlClient(this.#orm.em.fork()).query<{ checkpoint: RegionCheckpoint; counts: RegionCounts | null }>(
      `update sync_run set
         checkpoints = case when checkpoints ? $2 then checkpoints
           else jsonb_set(checkpoints, array[$2::text], jsonb_build_object('state', 'listing', 'pages', 0, 'listingStartedAt', to_jsonb(now()))) end,
         counts = case when counts ? $2 then counts else jsonb_set(counts, array[$2::text], $3::jsonb) end
       where id = $1
       returning checkpoints -> $2 as checkpoint, counts -> $2 as counts`,
      [runId, region, JSON.stringify(zeroCounts())],
    );
    const row = rows[0];
    if (!row) throw new Error(`sync run ${runId} does not exist`);
    return { checkpoint: row.checkpoint, counts: row.counts ?? zeroCounts() };
  }

  /**
   * Commits one listed page: advances the checkpoint from `before` to `after` and stores the resources, all or
   * nothing, while the run is still running. Returns the page's counts (already added into `after.counts`).
   */
  async commitPage(scope: InventoryScope, before: RegionProgress, records: InventoryRecord[], nextPageToken: string | undefined): Promise<RegionProgress> {
    return this.#transaction(async (client) => {
      const counts = { ...before.counts };
      if (records.length > 0) {
        const incoming = records.map((record) => ({
          external_id: record.externalId,
          zone: record.zone,
          name: record.name,
          status: record.status,
          attributes: record.attributes,
          tags: record.tags,
          extra: record.extra,
          raw: record.raw ?? null,
          content_hash: record.contentHash,
        }));
        const upserted = await client.query<{ id: string; external_id: string; inserted: boolean; changed: boolean }>(upsertPageSql, [
          scope.accountId,
          scope.provider,
          scope.type,
          scope.region,
          scope.runId,
          JSON.stringify(incoming),
        ]);
        const rewritten = new Map<string, string>();
        const stale: string[] = [];
        for (const row of upserted.rows) {
          if (row.inserted) counts.created += 1;
          else if (row.changed) counts.updated += 1;
          else counts.unchanged += 1;
          // `changed` holds for inserted rows too (no old hash); only updated ones have edges to drop.
          if (row.changed) rewritten.set(row.external_id, row.id);
          if (row.changed && !row.inserted) stale.push(row.id);
        }
        if (stale.length > 0) await client.query(dropRelationsSql, [stale]);
        const relations = records.flatMap((record) => {
          const fromId = rewritten.get(record.externalId);
          return fromId === undefined
            ? []
            : record.relations.map((relation) => ({ from_id: fromId, kind: relation.kind, to_type: relation.toType, to_external_id: relation.toExternalId }));
        });
        if (relations.length > 0) await client.query(insertRelationsSql, [scope.accountId, JSON.stringify(relations)]);
      }
      const checkpoint: RegionCheckpoint = {
        ...before.checkpoint,
        pages: before.checkpoint.pages + 1,
        ...(nextPageToken === undefined ? {} : { pageToken: nextPageToken }),
      };
      if (nextPageToken === undefined) delete checkpoint.pageToken;
      const moved = await client.query(
        `update sync_run set checkpoints = jsonb_set(checkpoints, array[$2::text], $3::jsonb), counts = jsonb_set(counts, array[$2::text], $4::jsonb)
         where id = $1 and state = 'running' and (checkpoints -> $2 ->> 'pages')::int = $5 and checkpoints -> $2 ->> 'state' = 'listing'`,
        [scope.runId, scope.region, JSON.stringify(checkpoint), JSON.stringify(counts), before.checkpoint.pages],
      );
      if (moved.rowCount !== 1) throw await this.#refusal(client, scope, before.checkpoint.pages);
      return { checkpoint, counts };
    });
  }

  /**
   * The listing of the scope completed: everything of (account, type, region) not seen since the listing began is
   * marked expired (never deleted), in the same transaction that marks the region succeeded. The run's row is
   * locked first and must still be running: a cancelled sync is abandoned (abandonRun) under the same lock, so a
   * listing that completes after its run was abandoned expires nothing.
   */
  async completeRegion(scope: InventoryScope, before: RegionProgress, message: string): Promise<RegionProgress> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ state: string }>(
        `select state from sync_run where id = $1 and checkpoints -> $2 ->> 'state' = 'listing' for update`,
        [scope.runId, scope.region],
      );
      if (rows[0]?.state !== 'running') throw await this.#refusal(client, scope, before.checkpoint.pages);
      const expired = await client.query(
        `update resource set expired_at = now()
         where account_id = $1 and type = $2 and region = $3 and expired_at is null and last_seen_at < $4`,
        [scope.accountId, scope.type, scope.region, before.checkpoint.listingStartedAt],
      );
      const counts = { ...before.counts, expired: before.counts.expired + (expired.rowCount ?? 0) };
      const checkpoint: RegionCheckpoint = { ...before.checkpoint, state: 'succeeded' };
      await client.query(
        `update sync_run set checkpoints = jsonb_set(checkpoints, array[$2::text], $3::jsonb), counts = jsonb_set(counts, array[$2::text], $4::jsonb)
         where id = $1`,
        [scope.runId, scope.region, JSON.stringify(checkpoint), JSON.stringify(counts)],
      );
      await client.query(`insert into sync_run_line (run_id, at, level, region, message) values ($1, now(), 'info', $2, $3)`, [
        scope.runId,
        scope.region,
        `${message}; expired ${counts.expired}`,
      ]);
      return { checkpoint, counts };
    });
  }

  /** The region's listing failed: recorded with its reason; nothing of the scope is expired. Idempotent. */
  async failRegion(runId: string, region: string, error: string): Promise<RegionProgress> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ checkpoint: RegionCheckpoint | null; counts: RegionCounts | null }>(
        `select checkpoints -> $2 as checkpoint, counts -> $2 as counts from sync_run where id = $1 for update`,
        [runId, region],
      );
      const current = rows[0];
      if (!current) throw new Error(`sync run ${runId} does not exist`);
      const counts = current.counts ?? zeroCounts();
      if (current.checkpoint && current.checkpoint.state !== 'listing') return { checkpoint: current.checkpoint, counts };
      const checkpoint: RegionCheckpoint = {
        pages: 0,
        listingStartedAt: new Date().toISOString(),
        ...current.checkpoint,
        state: 'failed',
        error,
      };
      await client.query(
        `update sync_run set checkpoints = jsonb_set(checkpoints, array[$2::text], $3::jsonb), counts = jsonb_set(counts, array[$2::text], $4::jsonb) where id = $1`,
        [runId, region, JSON.stringify(checkpoint), JSON.stringify(counts)],
      );
      await client.query(`insert into sync_run_line (run_id, at, level, region, message) values ($1, now(), 'error', $2, $3)`, [
        runId,
        region,
        `listing failed, nothing expired in this region: ${error}`,
      ]);
      return { checkpoint, counts };
    });
  }

  /**
   * A sync cancelled before it finished (from the Web UI, the CLI or an account delete) marks its run failed and
   * says why. A run whose account is being deleted (its row locked by the delete: SKIP LOCKED) or already gone is
   * left alone, so a cancelled sync never waits on the delete that cancelled it. It does wait for a page commit
   * still holding the run's row: skipping that one would leave the run `running` for good.
   */
  async abandonRun(runId: string, reason: string): Promise<void> {
    await this.#transaction(async (client) => {
      const marked = await client.query(
        `update sync_run set state = 'failed', error = $2, finished_at = now()
         where id = $1 and state = 'running'
           and exists (select 1 from cloud_account a where a.id = sync_run.account_id for key share skip locked)`,
        [runId, reason],
      );
      if (marked.rowCount === 1) await client.query(`insert into sync_run_line (run_id, at, level, region, message) values ($1, now(), 'error', null, $2)`, [runId, `sync failed: ${reason}`]);
    });
  }

  async appendLine(runId: string, level: 'info' | 'warn' | 'error', region: string | null, message: string): Promise<void> {
    await sqlClient(this.#orm.em.fork()).query(`insert into sync_run_line (run_id, at, level, region, message) values ($1, now(), $2, $3, $4)`, [runId, level, region, message]);
  }
}
