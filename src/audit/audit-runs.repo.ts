import type { Insertable } from 'kysely';
import type { Db } from '../db/database.js';
import type { AuditRunsTable } from '../db/schema.js';

export async function insertAuditRun(db: Db, row: Insertable<AuditRunsTable>): Promise<number> {
  const inserted = await db.insertInto('audit_runs').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(inserted.id);
}

/** The newest run with its findings. */
export async function latestAuditRun(db: Db) {
  return db.selectFrom('audit_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** Runs newest first, without their findings (a range of the primary key). */
export async function auditRunHistory(db: Db, limit: number) {
  return db
    .selectFrom('audit_runs')
    .select(['id', 'started_at', 'duration_ms', 'score', 'passed', 'skipped', 'who'])
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
