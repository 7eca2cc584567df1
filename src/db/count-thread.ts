import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

// A counting thread: its own read-only connection to the SQLite file ({ file }); for
// { id, sql, parameters, lo, hi } it answers { id, count } (or { id, error }): the query's first
// column, with the named parameters @lo and @hi bound to the chunk's bounds. Read-only: the
// connection cannot write, and WAL lets it read beside the server's writer.
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const db = new Sqlite((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
const statements = new Map<string, BetterSqlite3.Statement>();

interface Job {
  id: number;
  sql: string;
  parameters: unknown[];
  lo: number;
  hi: number;
}

parentPort?.on('message', (job: Job) => {
  try {
    let statement = statements.get(job.sql);
    if (!statement) {
      if (statements.size >= 16) statements.clear();
      statement = db.prepare(job.sql).pluck();
      statements.set(job.sql, statement);
    }
    const count = Number(statement.get(...job.parameters, { lo: job.lo, hi: job.hi }));
    parentPort?.postMessage({ id: job.id, count });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
