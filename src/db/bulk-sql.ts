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

export interface BulkInsert {
  table: string;
  columns: readonly string[];
  /** Trusted SQL after VALUES: an ON CONFLICT clause and/or RETURNING, identical in both dialects. */
  suffix?: string;
}

/** Inserts `rows` (values in column order) in fixed-size chunks; returns what RETURNING yields. */
export async function insertRows<R = Record<string, unknown>>(
  db: Db,
  dialect: Dialect,
  spec: BulkInsert,
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    const key = `${dialect}|${spec.table}|${spec.columns.join(',')}|${spec.suffix ?? ''}|${chunk.length}`;
    const text = cachedText(
      key,
      () =>
        `insert into ${quote(spec.table)} (${spec.columns.map(quote).join(', ')}) values ` +
        `${placeholders(dialect, chunk.length, spec.columns.length)}${spec.suffix ? ` ${spec.suffix}` : ''}`,
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
