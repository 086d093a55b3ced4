// Keeps a row and its Temporal side (schedules, long-running workflows) in step, both or neither, without ever
// holding a database transaction open while waiting on Temporal. Every domain whose rows own a Temporal side uses
// this one class: cloud accounts and CMDB sources today, DR plans and deploy windows next.
//
// Why not one transaction around the Temporal calls: it would hold the row lock and a pooled connection for as
// long as Temporal takes (a delete waits seconds for cancelled runs), stall everything that touches the row (a
// sync's page commit), and still not be atomic: a commit failing after Temporal accepted leaves Temporal ahead.
//
// The pattern, per write:
// 1. Claim: one short transaction writes the row as asked (or marks it deleting), sets temporalSide to applying /
//    deleting and bumps its revision. A claim younger than the lease makes other writes of that row answer 409.
// 2. Apply: bring Temporal to the whole row, idempotently (deterministic ids; create-or-update; delete-if-present).
//    Applying the whole row rather than a diff is what lets a later write, or the reconciler, repair a half-done one.
// 3. Success: mark the row in_step, only if its revision is still the claimed one.
//    Temporal refused: a second short transaction puts the row back as it was (a created row is deleted), marked
//    out_of_step; applying it once more brings it in_step if Temporal took part of the change. The caller gets a
//    DependencyUnavailableError: 503, nothing changed.
// 4. A crash between 1 and 3 leaves the claim behind. Once the lease has passed, the reconciler (at API start-up,
//    then every minute) converges Temporal to the row, or finishes the delete; so does the next write of the row.
import { LockMode, UniqueConstraintViolationException, type EntityClass, type FilterQuery, type RequiredEntityData } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import type { TemporalSideState } from '../db/entities/temporal-side.ts';
import { ConflictError, DependencyUnavailableError, NotFoundError } from './errors.ts';

/** A claim older than this was abandoned (the process died): longer than any apply or delete takes when it works. */
export const claimLeaseMs = 2 * 60_000;

/** A row that owns a Temporal side: found by id, unique by name, with the columns of db/entities/temporal-side.ts. */
export interface TemporalSideRow {
  id: string;
  name: string;
  temporalSide: TemporalSideState;
  temporalSideSince: Date;
  revision: number;
}

/** What one kind of row owns in Temporal, and how to bring it in step. */
export interface TemporalSide<Row extends TemporalSideRow> {
  entity: EntityClass<Row>;
  /** For messages: `Cloud account`, `CMDB source`. */
  noun: string;
  /** What the 503 says Temporal refused, e.g. `update the sync schedule`. */
  refusals: { create: string; change: string; delete: string };
  /** Makes Temporal run what the row says; idempotent. `before` is the row as it was, when a change knows it. */
  apply(row: Row, before?: Partial<Row>): Promise<void>;
  /** Removes everything the row runs in Temporal; idempotent (gone already is fine). */
  remove(row: Row): Promise<void>;
  /** Deletes the row and what is stored under it, in one transaction. */
  deleteRow(id: string): Promise<void>;
}

type Claim = 'applying' | 'deleting' | 'resume';

const isClaimed = (row: TemporalSideRow, now: number) =>
  (row.temporalSide === 'applying' || row.temporalSide === 'deleting') && row.temporalSideSince.getTime() > now - claimLeaseMs;

export class InStep<Row extends TemporalSideRow> {
  readonly #orm: Orm;
  readonly #side: TemporalSide<Row>;

  constructor(orm: Orm, side: TemporalSide<Row>) {
    this.#orm = orm;
    this.#side = side;
  }

  async get(id: string): Promise<Row> {
    const row = await this.#orm.em.fork().findOne(this.#side.entity, { id } as FilterQuery<Row>);
    if (!row) throw new NotFoundError(`${this.#side.noun} ${id} not found.`);
    return row;
  }

  list(): Promise<Row[]> {
    return this.#orm.em.fork().find(this.#side.entity, {}, { orderBy: { name: 'asc' } as never });
  }

  /** The friendly 409 before a write; the unique index still decides when two writes race past it. */
  async refuseTakenName(name: string, exceptId?: string): Promise<void> {
    const other = await this.#orm.em.fork().findOne(this.#side.entity, { name } as FilterQuery<Row>);
    if (other && other.id !== exceptId) throw new ConflictError(`${this.#side.noun} name ${JSON.stringify(name)} is already taken.`);
  }

  /** Refuses to act on a row whose delete has begun (a manual sync, a resync). */
  refuseIfDeleting(row: Row): void {
    if (row.temporalSide === 'deleting') throw new ConflictError(`${this.#side.noun} ${row.id} is being deleted.`);
  }

  /** Creates the row under a new id (`fields` seals secrets to it) and its Temporal side; a taken name is a 409. */
  async create(fields: (id: string) => RequiredEntityData<Row> & { name: string }): Promise<Row> {
    const id = crypto.randomUUID();
    const data = fields(id);
    await this.refuseTakenName(data.name);
    const em = this.#orm.em.fork();
    const row = em.create(this.#side.entity, { ...data, id, temporalSide: 'applying', temporalSideSince: new Date(), revision: 1 } as RequiredEntityData<Row>);
    await this.#conflictOnDuplicate(() => em.flush());
    try {
      await this.#side.apply(row);
    } catch (error) {
      // Whatever Temporal did take is removed if it can be; the row goes either way, so the create can be retried.
      await this.#side.remove(row).catch(() => undefined);
      await this.#side.deleteRow(row.id);
      throw this.#refused('create', error);
    }
    await this.#markInStep(row);
    return row;
  }

  /**
   * Writes `patch` onto the row and brings Temporal along. `basedOn` is the revision the caller read and checked
   * the patch against: if another write came in between, the caller gets a 409 instead of overwriting it.
   */
  async change(id: string, basedOn: number, patch: Partial<Row>): Promise<Row> {
    const { row, previous } = await this.#claim(id, 'applying', basedOn, patch);
    try {
      await this.#side.apply(row, previous);
    } catch (error) {
      await this.#putBack(row, previous);
      throw this.#refused('change', error);
    }
    await this.#markInStep(row);
    return row;
  }

  /** Marks the row deleting, removes its Temporal side (stopping its runs), then deletes the row. */
  async delete(id: string): Promise<void> {
    const { row } = await this.#claim(id, 'deleting');
    try {
      await this.#side.remove(row);
    } catch (error) {
      await this.#putBack(row, {});
      throw this.#refused('delete', error);
    }
    await this.#side.deleteRow(id);
  }

  /**
   * Converges every row nobody is working on that is not in step: claims abandoned by a crash, rows a refused
   * put-back left out_of_step. Returns how many converged and how many Temporal still refused (retried next time).
   */
  async reconcile(): Promise<{ converged: number; refused: number }> {
    const abandonedBefore = new Date(Date.now() - claimLeaseMs);
    const pending = await this.#orm.em.fork().find(
      this.#side.entity,
      { $or: [{ temporalSide: 'out_of_step' }, { temporalSide: { $in: ['applying', 'deleting'] }, temporalSideSince: { $lt: abandonedBefore } }] } as FilterQuery<Row>,
      { fields: ['id'] as never },
    );
    const outcome = { converged: 0, refused: 0 };
    for (const { id } of pending) {
      let row: Row;
      try {
        ({ row } = await this.#claim(id, 'resume'));
      } catch (error) {
        // Deleted or claimed by a request since the query: that request brings it in step.
        if (error instanceof NotFoundError || error instanceof ConflictError) continue;
        throw error;
      }
      try {
        if (row.temporalSide === 'deleting') {
          await this.#side.remove(row);
          await this.#side.deleteRow(id);
        } else {
          await this.#side.apply(row);
          await this.#markInStep(row);
        }
        outcome.converged += 1;
      } catch {
        // A delete stays claimed and is retried once the lease passes; a change is retried on the next pass.
        if (row.temporalSide !== 'deleting') await this.#mark(row, 'out_of_step');
        outcome.refused += 1;
      }
    }
    return outcome;
  }

  async #claim(id: string, claim: Claim, basedOn?: number, patch: Partial<Row> = {}): Promise<{ row: Row; previous: Partial<Row> }> {
    const { noun, entity } = this.#side;
    return this.#conflictOnDuplicate(() =>
      this.#orm.em.fork().transactional(async (em) => {
        const row = await em.findOne(entity, { id } as FilterQuery<Row>, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row) throw new NotFoundError(`${noun} ${id} not found.`);
        if (isClaimed(row, Date.now())) {
          const what = row.temporalSide === 'deleting' ? 'deleted' : 'changed';
          throw new ConflictError(`${noun} ${id} is being ${what} by another request (since ${row.temporalSideSince.toISOString()}); try again once it is done.`);
        }
        if (row.temporalSide === 'deleting' && claim === 'applying') throw new ConflictError(`${noun} ${id} is being deleted.`);
        if (basedOn !== undefined && row.revision !== basedOn) {
          throw new ConflictError(`${noun} ${id} was changed by another request meanwhile; read it again and retry.`);
        }
        const previous = Object.fromEntries(Object.keys(patch).map((key) => [key, row[key as keyof Row]])) as Partial<Row>;
        const to: TemporalSideState = claim === 'resume' ? (row.temporalSide === 'deleting' ? 'deleting' : 'applying') : claim;
        em.assign(row, { ...patch, temporalSide: to, temporalSideSince: new Date(), revision: row.revision + 1 } as Partial<Row> as never);
        return { row, previous };
      }),
    );
  }

  /** Undoes a claim Temporal refused: the row as it was, out_of_step, then one attempt to bring Temporal back to it. */
  async #putBack(claimed: Row, previous: Partial<Row>): Promise<void> {
    const restored = await this.#orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(this.#side.entity, { id: claimed.id, revision: claimed.revision } as FilterQuery<Row>, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) return null;
      em.assign(row, { ...previous, temporalSide: 'out_of_step', temporalSideSince: new Date(), revision: row.revision + 1 } as Partial<Row> as never);
      return row;
    });
    if (!restored) return;
    try {
      await this.#side.apply(restored, claimed);
      await this.#markInStep(restored);
    } catch {
      // Left out_of_step: the reconciler retries while Temporal refuses.
    }
  }

  async #markInStep(row: Row): Promise<void> {
    await this.#mark(row, 'in_step');
  }

  /** Sets the state only if the row is still at the revision this caller wrote; a later writer owns it otherwise. */
  async #mark(row: Row, state: TemporalSideState): Promise<void> {
    const since = new Date();
    const updated = await this.#orm.em
      .fork()
      .nativeUpdate(this.#side.entity, { id: row.id, revision: row.revision } as FilterQuery<Row>, { temporalSide: state, temporalSideSince: since } as never);
    if (updated === 1) Object.assign(row, { temporalSide: state, temporalSideSince: since });
  }

  #refused(operation: keyof TemporalSide<Row>['refusals'], error: unknown): DependencyUnavailableError {
    return DependencyUnavailableError.temporalRefused(this.#side.refusals[operation], error);
  }

  /** Two requests raced past the caller's duplicate check: the database's unique index decides, as a 409. */
  async #conflictOnDuplicate<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new ConflictError(`${this.#side.noun} name is already taken.`);
      throw error;
    }
  }
}
