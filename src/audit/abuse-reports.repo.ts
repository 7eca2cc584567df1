import type { Insertable } from 'kysely';
import type { Db } from '../db/database.js';
import type { AbuseReportsTable } from '../db/schema.js';

export async function insertAbuseReport(db: Db, row: Insertable<AbuseReportsTable>): Promise<void> {
  await db.insertInto('abuse_reports').values(row).execute();
}

/** Reports about mail we did not send, newest first. */
export async function foreignAbuseSince(db: Db, since: number, limit = 20) {
  return db
    .selectFrom('abuse_reports')
    .selectAll()
    .where('verdict', '=', 'foreign')
    .where('at', '>=', since)
    .orderBy('at', 'desc')
    .limit(limit)
    .execute();
}

export async function countForeignAbuseSince(db: Db, since: number): Promise<number> {
  const row = await db
    .selectFrom('abuse_reports')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('verdict', '=', 'foreign')
    .where('at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
