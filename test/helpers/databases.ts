import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { peerSkip } from './peers.js';

export const PG_ADMIN_URL = process.env.LISTWARDEN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgAvailable = await postgresReachable();

/** A fresh, empty database of one dialect, with its URL and a way to throw it away. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A migrated SQLite file in a folder of its own, as `listwarden init` (or a first `serve`) leaves it. */
async function freshSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-sqlite-'));
  const url = `sqlite:${join(dir, 'test.db')}`;
  const database = openDatabase(url);
  try {
    await migrateToLatest(database);
  } finally {
    await database.close();
  }
  return { url, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function freshPostgres(): Promise<TestDatabase> {
  const name = `lw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface DialectCase {
  name: 'sqlite' | 'postgres';
  skip: string | false;
  fresh(): Promise<TestDatabase>;
}

/** Both dialects; every repository test runs on each. PostgreSQL is skipped (or fails in CI) when unreachable. */
export const DIALECTS: readonly DialectCase[] = [
  { name: 'sqlite', skip: false, fresh: freshSqlite },
  { name: 'postgres', skip: peerSkip('PostgreSQL', pgAvailable, `${PG_ADMIN_URL} unreachable`), fresh: freshPostgres },
];

/** Opens a fresh migrated database for a test; `cleanup` closes and drops it. */
export async function migratedDatabase(
  dialect: DialectCase,
): Promise<{ database: Database; url: string; cleanup(): Promise<void> }> {
  const fresh = await dialect.fresh();
  const database = openDatabase(fresh.url);
  await migrateToLatest(database);
  return {
    database,
    url: fresh.url,
    cleanup: async () => {
      await database.close();
      await fresh.drop();
    },
  };
}
