import type { DailyMeasure } from '../db/schema.js';

const DAY_MS = 86_400_000;

/** The UTC day (days since 1970-01-01) of a time in epoch milliseconds. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** The ISO date (YYYY-MM-DD) of a day number. */
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export const MEASURES: readonly DailyMeasure[] = [
  'delivered',
  'refused',
  'failed',
  'hard_bounce',
  'soft_bounce',
  'complaint',
  'unsubscribe',
];

/** One day of the dashboard's series, every measure present (0 when nothing happened). */
export interface DaySeries {
  day: string;
  /** Handed over: accepted, refused in the SMTP session, or given up after retries. */
  sent: number;
  delivered: number;
  /** Verified hard bounces: a 5xx in our SMTP session or a report tied to our mail. */
  hardBounces: number;
  softBounces: number;
  complaints: number;
  unsubscribes: number;
}

/**
 * The last `days` days up to `today` (oldest first) from stored rows; missing days are zeros.
 * "Sent" is what we handed to receivers; "delivered" what they accepted.
 */
export function dailySeries(
  rows: readonly { day: number; measure: DailyMeasure; count: number }[],
  today: number,
  days: number,
): DaySeries[] {
  const byDay = new Map<number, Record<DailyMeasure, number>>();
  for (const row of rows) {
    const counts =
      byDay.get(row.day) ?? (Object.fromEntries(MEASURES.map((m) => [m, 0])) as Record<DailyMeasure, number>);
    counts[row.measure] += Number(row.count);
    byDay.set(row.day, counts);
  }
  const series: DaySeries[] = [];
  for (let day = today - days + 1; day <= today; day++) {
    const c = byDay.get(day);
    series.push({
      day: isoDay(day),
      sent: c ? c.delivered + c.refused + c.failed : 0,
      delivered: c?.delivered ?? 0,
      hardBounces: c?.hard_bounce ?? 0,
      softBounces: c?.soft_bounce ?? 0,
      complaints: c?.complaint ?? 0,
      unsubscribes: c?.unsubscribe ?? 0,
    });
  }
  return series;
}
