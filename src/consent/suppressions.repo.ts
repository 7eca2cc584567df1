import type { Db, Dialect } from '../db/database.js';
import { sql } from '../db/kysely-runtime.js';
import { existingValues } from '../db/bulk-sql.js';
import { param, prepared } from '../db/prepared.js';

// Suppressions: addresses (as SHA-256 of the normalised address) that are never mailed again.
export type SuppressionReason = 'erased' | 'complaint' | 'hard_bounce' | 'soft_bounces' | 'unsubscribed_all' | 'manual';

/**
 * Adds (or keeps) a suppression; the first reason recorded stays, except "left every list": a
 * complaint, bounce or erasure after it replaces it, so a rejoin (allowed only after leaving
 * everything) can never reach an address that complained or bounced.
 */
const insertSuppression = prepared<{ hash: string; reason: string; now: number }, never>((db) =>
  db
    .insertInto('suppressions')
    .values({ email_hash: param('hash'), reason: param('reason'), created_at: param('now') })
    .onConflict((oc) =>
      oc
        .column('email_hash')
        .doUpdateSet({ reason: (eb) => eb.ref('excluded.reason') })
        .where('suppressions.reason', '=', 'unsubscribed_all'),
    ),
);

export async function suppress(db: Db, emailHash: string, reason: SuppressionReason, now: number): Promise<void> {
  await insertSuppression(db, { hash: emailHash, reason, now });
}

/**
 * Lifts a suppression only when it has the given reason: a person who left every list and
 * confirmed joining one again (double opt-in) may be mailed again; other suppressions stay.
 */
export async function liftSuppression(db: Db, emailHash: string, reason: SuppressionReason): Promise<void> {
  await db.deleteFrom('suppressions').where('email_hash', '=', emailHash).where('reason', '=', reason).execute();
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

const mailboxSend = prepared<{ hash: string; now: number; since: number }, { count: number }>((db) => {
  const windowStart = sql.ref('confirmation_mailboxes.window_start');
  const stale = sql<boolean>`${windowStart} <= ${param('since')}`;
  return db
    .insertInto('confirmation_mailboxes')
    .values({ mailbox_hash: param('hash'), window_start: param('now'), count: 1 })
    .onConflict((oc) =>
      oc.column('mailbox_hash').doUpdateSet({
        count: sql<number>`case when ${stale} then 1 else ${sql.ref('confirmation_mailboxes.count')} + 1 end`,
        window_start: sql<number>`case when ${stale} then ${param('now')} else ${windowStart} end`,
      }),
    )
    .returning('count');
});

/**
 * Counts one more confirmation mail for a mailbox (its hash) and returns the count in its window:
 * a window older than `windowMs` starts again at 1. One atomic upsert, so concurrent signups on
 * PostgreSQL cannot both slip under the limit.
 */
export async function countMailboxSend(db: Db, mailboxHash: string, now: number, windowMs: number): Promise<number> {
  const row = (await mailboxSend(db, { hash: mailboxHash, now, since: now - windowMs })).rows[0];
  return Number(row?.count ?? 1);
}

const domainSlot = prepared<{ domain: string; hour: number; perHour: number }, { hour: number }>((db) => {
  const hour = sql.ref('confirmation_domains.hour');
  const count = sql.ref('confirmation_domains.count');
  return db
    .insertInto('confirmation_domains')
    .values({ domain: param('domain'), hour: param('hour'), count: 1 })
    .onConflict((oc) =>
      oc.column('domain').doUpdateSet({
        hour: sql<number>`case when ${hour} < ${param('hour')} then ${param('hour')} when ${count} >= ${param('perHour')} then ${hour} + 1 else ${hour} end`,
        count: sql<number>`case when ${hour} < ${param('hour')} or ${count} >= ${param('perHour')} then 1 else ${count} + 1 end`,
      }),
    )
    .returning('hour');
});

/**
 * Takes a place for one confirmation mail to a recipient domain and returns the hour (epoch hours)
 * it goes in: the current hour while it holds fewer than `perHour`, else the domain's next hour
 * with room. One atomic upsert of one row per domain.
 */
export async function takeDomainSlot(db: Db, domain: string, currentHour: number, perHour: number): Promise<number> {
  const row = (await domainSlot(db, { domain, hour: currentHour, perHour })).rows[0];
  return Number(row?.hour ?? currentHour);
}

/** Housekeeping: the limits look back a day at most. */
export async function pruneConfirmationLimits(db: Db, before: number, beforeHour: number): Promise<void> {
  await db.deleteFrom('confirmation_mailboxes').where('window_start', '<', before).execute();
  await db.deleteFrom('confirmation_domains').where('hour', '<', beforeHour).execute();
}
