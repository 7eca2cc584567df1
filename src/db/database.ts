import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, SqliteDatabase } from 'kysely';
import { Kysely as KyselyClass, PostgresDialect, SqliteDialect, sql } from './kysely-runtime.js';
import type pg from 'pg';
import type PgCopyStreams from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyRows } from './copy-rows.js';
import { createGroupCommit } from './group-commit.js';
import { createChunkedCounter, type ChunkedCounter } from './chunked-count.js';
import type { Tables } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

// Each driver is loaded when a database of its kind is opened: a CLI command on SQLite does not
// pay for loading pg, and the other way round.
const load = createRequire(import.meta.url);
export type Db = Kysely<Tables>;

/** An open database: the Kysely instance, its dialect and lifecycle. */
export interface Database {
  readonly db: Db;
  readonly dialect: Dialect;
  /**
   * Runs `work` in one transaction; everything it writes is durable when the promise resolves.
   * `work` must use the handle it is given (never `db`) and only talk to the database.
   */
  transaction<T>(work: (trx: Db) => Promise<T>): Promise<T>;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  /**
   * After an erasure: on SQLite, checkpoints the WAL into the database file and truncates it, so no
   * copy of the deleted rows stays in the WAL (secure_delete zeroes them in the file itself). On
   * PostgreSQL nothing here: dead tuples stay until VACUUM (autovacuum) reclaims them (docs/security.md).
   */
  forgetDeleted(): Promise<void>;
  /** SQLite files on a machine with two cores or more: counts that read many rows, on reader threads. */
  readonly counter?: ChunkedCounter;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Opens SQLite (`sqlite:<file>`) or PostgreSQL (`postgres://…`) from a URL. */
export function openDatabase(
  url: string,
  options: {
    poolSize?: number;
    onIdleError?: (error: Error) => void;
    /**
     * SQLite's page cache in MiB (default 32: an import's random index writes want it). The server
     * takes 8: its claims, marks and look-ups read recent pages (the OS caches the rest), and the
     * 24 MiB are a tenth of its memory.
     */
    sqliteCacheMiB?: number;
  } = {},
): Database {
  if (url.startsWith('sqlite:'))
    return openSqlite(url.slice('sqlite:'.length).replace(/^\/\//, ''), options.sqliteCacheMiB ?? 32);
  return openPostgres(url, options.poolSize ?? 10, options.onIdleError);
}

function openSqlite(file: string, cacheMiB: number): Database {
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const Sqlite = load('better-sqlite3') as typeof BetterSqlite3;
  const native = new Sqlite(file);
  native.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (WAL fsync) before we answer; see issue notes for the measured cost.
  native.pragma('synchronous = FULL');
  native.pragma('foreign_keys = ON');
  native.pragma('busy_timeout = 10000');
  native.pragma(`cache_size = -${Math.round(cacheMiB * 1024)}`);
  native.pragma('temp_store = MEMORY');
  // Deleted content is overwritten with zeros, so an erased person leaves nothing on free pages.
  native.pragma('secure_delete = ON');
  const db = new KyselyClass<Tables>({ dialect: new SqliteDialect({ database: cachingStatements(native) }) });
  const threads = Math.min(4, availableParallelism());
  const counter = file !== ':memory:' && threads >= 2 ? createChunkedCounter(resolve(file), threads) : undefined;
  return wrap(db, 'sqlite', createGroupCommit(db), () => checkpointAndTruncate(native), counter);
}

function openPostgres(url: string, max: number, onIdleError?: (error: Error) => void): Database {
  const { Pool, types } = load('pg') as typeof pg;
  const pool = new Pool({
    connectionString: url,
    max,
    // Epoch-millisecond columns are bigint; they fit a JS number, so parse them as one.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (value: string) => Number(value)
          : (types.getTypeParser(oid, format as 'text') as (
              value: string,
            ) => unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it on the next checkout.
  pool.on('error', (error) => onIdleError?.(error));
  const db = new KyselyClass<Tables>({ dialect: new PostgresDialect({ pool: withCopy(pool) }) });
  return wrap(db, 'postgres');
}

/**
 * The pool as Kysely sees it, with one addition: a statement `copy … from stdin` whose one
 * parameter is a CopyRows streams those rows to the server (pg-copy-streams) on the same
 * connection, so a COPY runs in the caller's transaction like any other statement.
 */
function withCopy(pool: pg.Pool): pg.Pool {
  const { from } = load('pg-copy-streams') as typeof PgCopyStreams;
  const connect = async () => {
    const client = await pool.connect();
    const query = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
    return new Proxy(client, {
      get(target, name, receiver) {
        if (name !== 'query') return Reflect.get(target, name, receiver) as unknown;
        return async (text: unknown, values?: unknown[]) => {
          const rows = values?.[0];
          if (typeof text !== 'string' || !(rows instanceof CopyRows)) return query(text as string, values);
          const stream = target.query(from(text));
          await pipeline(Readable.from([rows.text]), stream);
          return { command: 'COPY', rowCount: stream.rowCount, rows: [], fields: [], oid: 0 };
        };
      },
    });
  };
  return { connect, end: () => pool.end() } as unknown as pg.Pool;
}

/**
 * `wal_checkpoint(TRUNCATE)` waits (busy_timeout) for other connections' readers to move on; when
 * one still holds an old snapshot it reports busy, so it is tried again for a while.
 */
async function checkpointAndTruncate(native: BetterSqlite3.Database): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [result] = native.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (!result || result.busy === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('The database is busy: the write-ahead log could not be cleared after the erasure; run it again.');
}

function wrap(
  db: Db,
  dialect: Dialect,
  transaction?: Database['transaction'],
  forgetDeleted: () => Promise<void> = () => Promise.resolve(),
  counter?: ChunkedCounter,
): Database {
  return {
    db,
    dialect,
    counter,
    transaction: transaction ?? ((work) => db.transaction().execute(work)),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    forgetDeleted,
    close: async () => {
      await counter?.close();
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every query again; better-sqlite3 statements are reusable, so keep the
 * most recent ones. Bulk paths issue the same SQL text thousands of times.
 */
function cachingStatements(native: BetterSqlite3.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => native.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = native.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}
