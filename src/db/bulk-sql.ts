import { CompiledQuery } from './kysely-runtime.js';
import type { Db, Dialect } from './database.js';

/**
 * Multi-row statements for bulk paths (imports). The SQL text depends only on the shape and
 * the chunk size, so it is built once, skips Kysely's per-call compilation (measured at about
 * twice the cost of the insert itself on SQLite) and hits the prepared-statement cache.
 * Placeholders are the only dialect difference.
 */
const CHUNK_ROWS = 200;
const texts = new Map<string, string>();

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function placeholders(dialect: Dialect, rows: number, columns: number): string {
  const groups: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < columns; c++) cells.push(dialect === 'postgres' ? `$${++n}` : '?');
    groups.push(`(${cells.join(', ')})`);
  }
  return groups.join(', ');
}

function cachedText(key: string, build: () => string): string {
  let text = texts.get(key);
  if (text === undefined) {
    text = build();
    texts.set(key, text);
  }
  return text;
}

/** A column's PostgreSQL type, for the arrays of a one-statement insert. */
export type BulkColumnType = 'text' | 'bigint' | 'integer';

export interface BulkInsert {
  table: string;
  /** Column names and their types, in the order of each row's values. */
  columns: ReadonlyArray<readonly [name: string, type: BulkColumnType]>;
  /** Trusted SQL after the rows: an ON CONFLICT clause and/or RETURNING, identical in both dialects. */
  suffix?: string;
}

/**
 * Inserts `rows` (values in column order); returns what RETURNING yields. On SQLite in chunks of
 * multi-row VALUES (in-process, each chunk a reused prepared statement); on PostgreSQL in one
 * statement per batch, each column one array parameter (`select * from unnest($1::text[], …)`):
 * one round trip and one plan instead of one per 200 rows.
 */
export async function insertRows<R = Record<string, unknown>>(
  db: Db,
  dialect: Dialect,
  spec: BulkInsert,
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<R[]> {
  if (rows.length === 0) return [];
  const names = spec.columns.map(([name]) => quote(name)).join(', ');
  const suffix = spec.suffix ? ` ${spec.suffix}` : '';
  if (dialect === 'postgres') {
    const text = cachedText(`unnest|${spec.table}|${names}|${suffix}`, () => {
      const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
      return `insert into ${quote(spec.table)} (${names}) select * from unnest(${arrays})${suffix}`;
    });
    const columns = spec.columns.map((_, c) => rows.map((row) => row[c]));
    return (await db.executeQuery<R>(CompiledQuery.raw(text, columns))).rows;
  }
  const out: R[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    const key = `${dialect}|${spec.table}|${names}|${suffix}|${chunk.length}`;
    const text = cachedText(
      key,
      () =>
        `insert into ${quote(spec.table)} (${names}) values ` +
        `${placeholders(dialect, chunk.length, spec.columns.length)}${suffix}`,
    );
    const result = await db.executeQuery<R>(CompiledQuery.raw(text, chunk.flat()));
    out.push(...result.rows);
  }
  return out;
}

/** Values of `column` in `table` that are among `values` (a batched membership test). */
export async function existingValues(
  db: Db,
  dialect: Dialect,
  table: string,
  column: string,
  values: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < values.length; start += CHUNK_ROWS * 4) {
    const chunk = values.slice(start, start + CHUNK_ROWS * 4);
    const key = `in|${dialect}|${table}|${column}|${chunk.length}`;
    const text = cachedText(key, () => {
      const marks = chunk.map((_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?')).join(', ');
      return `select ${quote(column)} as v from ${quote(table)} where ${quote(column)} in (${marks})`;
    });
    const result = await db.executeQuery<{ v: string }>(CompiledQuery.raw(text, [...chunk]));
    for (const row of result.rows) found.add(row.v);
  }
  return found;
}
