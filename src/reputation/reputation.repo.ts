import type { Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { ReputationChecksTable } from '../db/schema.js';

export type NewCheck = Omit<Selectable<ReputationChecksTable>, 'id'>;

export async function insertCheck(db: Db, check: NewCheck): Promise<void> {
  await db.insertInto('reputation_checks').values(check).execute();
}

/** The latest stored check of `ip`, as the monitor compares it. */
export async function latestCheck(
  db: Db,
  ip: string,
): Promise<{ selfListed: string[]; neighboursListed: number; at: number } | undefined> {
  const row = await db
    .selectFrom('reputation_checks')
    .select(['self_listed', 'neighbours_listed', 'at'])
    .where('ip', '=', ip)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row
    ? {
        selfListed: JSON.parse(row.self_listed) as string[],
        neighboursListed: Number(row.neighbours_listed),
        at: Number(row.at),
      }
    : undefined;
}

export async function recentChecks(db: Db, limit: number) {
  return db.selectFrom('reputation_checks').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** The latest stored check of `ip` with its whole result (the map is drawn from it). */
export async function latestCheckRow(db: Db, ip: string) {
  return db
    .selectFrom('reputation_checks')
    .selectAll()
    .where('ip', '=', ip)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Checks newest first without their results, `before` an id (keyset). */
export async function checkHistory(db: Db, options: { limit: number; before?: number }) {
  let query = db
    .selectFrom('reputation_checks')
    .select(['id', 'at', 'ip', 'range', 'self_listed', 'neighbours_listed', 'changes']);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}
