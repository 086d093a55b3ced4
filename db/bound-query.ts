// Runs SQL with real bind parameters ($1, $2, ...) on an EntityManager's connection or open transaction.
// em.execute() inlines parameters into the SQL text client-side, which costs milliseconds for the large JSON
// payloads of bulk writes (a batch of CMDB events, a re-listed topology); this sends them as parameters instead.
import { CompiledQuery } from 'kysely';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface BoundResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted by the statement. */
  rowCount: number;
}

export async function boundStatement<T = Record<string, unknown>>(em: EntityManager, sql: string, parameters: readonly unknown[] = []): Promise<BoundResult<T>> {
  const executor = em.getTransactionContext<never>() ?? em.getConnection().getClient();
  const result = await (executor as ReturnType<ReturnType<EntityManager['getConnection']>['getClient']>).executeQuery(CompiledQuery.raw(sql, [...parameters]));
  return { rows: result.rows as T[], rowCount: Number(result.numAffectedRows ?? 0) };
}

export async function boundQuery<T = Record<string, unknown>>(em: EntityManager, sql: string, parameters: readonly unknown[]): Promise<T[]> {
  return (await boundStatement<T>(em, sql, parameters)).rows;
}
