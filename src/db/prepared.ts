import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db } from './database.js';

/**
 * Compile-once queries for hot paths. Kysely builds and compiles every query anew (about
 * 18 µs each here, as much as SQLite needs to run it); a prepared query is built once per
 * dialect with named placeholders and only its parameters change per call.
 */
const MARK = '\u0000lw-param:';

/** A named placeholder for a value of a prepared query (fits any column type). */
export function param(name: string): never {
  return `${MARK}${name}` as never;
}

export function prepared<P extends Record<string, unknown>, R>(
  build: (db: Db) => Compilable<R>,
): (db: Db, params: P) => Promise<QueryResult<R>> {
  // Per dialect: the compiled query and, for each of its parameters, the name it takes or undefined for a constant.
  const byAdapter = new Map<unknown, { compiled: CompiledQuery<R>; names: Array<string | undefined> }>();
  return async (db, params) => {
    const adapter = db.getExecutor().adapter.constructor;
    let entry = byAdapter.get(adapter);
    if (!entry) {
      const compiled = build(db).compile();
      const names = compiled.parameters.map((v) =>
        typeof v === 'string' && v.startsWith(MARK) ? v.slice(MARK.length) : undefined,
      );
      entry = { compiled, names };
      byAdapter.set(adapter, entry);
    }
    const { compiled, names } = entry;
    const parameters = names.map((name, i) => {
      if (name === undefined) return compiled.parameters[i];
      if (!(name in params)) throw new Error(`prepared query is missing the parameter "${name}"`);
      return params[name];
    });
    return db.executeQuery<R>({ ...compiled, parameters });
  };
}
