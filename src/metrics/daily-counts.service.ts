import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { countsSince } from './daily-counts.repo.js';
import { dailySeries, dayOf, type DaySeries } from './days.js';

/** The dashboard's numbers: the last days' counts, read from at most days × measures rows. */
export function createDailyCounts(deps: { database: Database; clock: Clock }) {
  return {
    async lastDays(days = 30): Promise<DaySeries[]> {
      const today = dayOf(deps.clock.now());
      return dailySeries(await countsSince(deps.database.db, today - days + 1), today, days);
    },
  };
}

export type DailyCounts = ReturnType<typeof createDailyCounts>;
