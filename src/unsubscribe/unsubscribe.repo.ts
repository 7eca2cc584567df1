import { existingValues } from '../db/bulk-sql.js';
import type { Db, Dialect } from '../db/database.js';
import { param, prepared } from '../db/prepared.js';

export type SuppressionReason = 'erased' | 'complaint' | 'hard_bounce' | 'soft_bounces' | 'unsubscribed_all' | 'manual';

/** Adds (or keeps) a suppression; the first reason recorded stays. */
const insertSuppression = prepared<{ hash: string; reason: string; now: number }, never>((db) =>
  db
    .insertInto('suppressions')
    .values({ email_hash: param('hash'), reason: param('reason'), created_at: param('now') })
    .onConflict((oc) => oc.column('email_hash').doNothing()),
);

export async function suppress(db: Db, emailHash: string, reason: SuppressionReason, now: number): Promise<void> {
  await insertSuppression(db, { hash: emailHash, reason, now });
}

const suppressionOf = prepared<{ hash: string }, { reason: string; created_at: number }>((db) =>
  db.selectFrom('suppressions').select(['reason', 'created_at']).where('email_hash', '=', param('hash')),
);

/** The suppression of one address, if any. */
export async function findSuppression(
  db: Db,
  emailHash: string,
): Promise<{ reason: string; createdAt: number } | undefined> {
  const row = (await suppressionOf(db, { hash: emailHash })).rows[0];
  return row ? { reason: row.reason, createdAt: row.created_at } : undefined;
}

/** Which of the given hashes are suppressed (one query per few hundred). */
export async function suppressedAmong(db: Db, dialect: Dialect, hashes: readonly string[]): Promise<Set<string>> {
  return existingValues(db, dialect, 'suppressions', 'email_hash', hashes);
}
