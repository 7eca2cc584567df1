import { sql } from './kysely-runtime.js';
import type { Db } from './database.js';

interface Unit {
  work: (trx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite: transactions that arrive while one is running are executed together
 * in one `BEGIN IMMEDIATE … COMMIT`, each inside its own savepoint, so a failing unit rolls back
 * alone and one WAL fsync makes the whole group durable. Every caller still resolves only after
 * its data is on disk. Units must only talk to the database (they hold the write lock).
 */
export function createGroupCommit(db: Db, maxGroup = 256): <T>(work: (trx: Db) => Promise<T>) => Promise<T> {
  const queue: Unit[] = [];
  let running = false;

  async function runGroup(group: Unit[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          for (const unit of group) {
            await sql`savepoint lw_unit`.execute(conn);
            try {
              const value = await unit.work(conn);
              await sql`release lw_unit`.execute(conn);
              outcomes.push({ ok: true, value });
            } catch (error) {
              await sql`rollback to lw_unit`.execute(conn);
              await sql`release lw_unit`.execute(conn);
              outcomes.push({ ok: false, error });
            }
          }
          await sql`commit`.execute(conn);
        } catch (error) {
          await sql`rollback`.execute(conn).catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      for (const unit of group) unit.reject(error);
      return;
    }
    group.forEach((unit, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number];
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) await runGroup(queue.splice(0, maxGroup));
    } finally {
      running = false;
    }
  }

  return <T>(work: (trx: Db) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // Let the requests that arrive in this turn of the event loop join the same group.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}
