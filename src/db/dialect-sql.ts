import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Dialect } from './database.js';

export type JsonColumnType = 'text' | 'bigint';

/**
 * A derived table built from one JSON parameter: bulk writes send a whole batch as a single
 * bound value instead of thousands of placeholders. This is the only place that knows how
 * each dialect unpacks JSON into rows.
 */
export function jsonRecordset<C extends string>(
  dialect: Dialect,
  rows: ReadonlyArray<Record<C, string | number | null>>,
  columns: Readonly<Record<C, JsonColumnType>>,
): RawBuilder<Record<C, unknown>> {
  const json = JSON.stringify(rows);
  const names = Object.keys(columns) as C[];
  if (dialect === 'postgres') {
    const defs = names.map((name) => sql`${sql.ref(name)} ${sql.raw(columns[name])}`);
    return sql`(select * from json_to_recordset(${json}::json) as r(${sql.join(defs)}))`;
  }
  const picks = names.map((name) =>
    sql`json_extract(value, ${'$.' + name}) as ${sql.ref(name)}`,
  );
  return sql`(select ${sql.join(picks)} from json_each(${json}))`;
}

/** Adds `FOR UPDATE SKIP LOCKED` where the dialect has row locks (PostgreSQL); SQLite has one writer. */
export function skipLocked<DB, TB extends keyof DB, O>(
  dialect: Dialect,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/** True when `error` is a unique-constraint violation in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
