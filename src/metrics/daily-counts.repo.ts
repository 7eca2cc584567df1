import type { Db } from '../db/database.js';
import type { DailyMeasure } from '../db/schema.js';

/**
 * Adds `by` (negative to take back, e.g. the opt-out self-test's synthetic opt-out) to a day's measure: one upsert, in the caller's transaction where there is one
 * (the outbox's sent marks, a feedback report, a consent change).
 */
export async function addToDay(db: Db, day: number, measure: DailyMeasure, by: number): Promise<void> {
  if (by === 0) return;
  await db
    .insertInto('daily_counts')
    .values({ day, measure, count: by })
    .onConflict((oc) =>
      oc.columns(['day', 'measure']).doUpdateSet((eb) => ({ count: eb('daily_counts.count', '+', by) })),
    )
    .execute();
}

/** Every stored count from `fromDay` on: at most days × measures rows. */
export function countsSince(db: Db, fromDay: number): Promise<{ day: number; measure: DailyMeasure; count: number }[]> {
  return db.selectFrom('daily_counts').select(['day', 'measure', 'count']).where('day', '>=', fromDay).execute();
}
