import type { Db } from '../db/database.js';
import { bulkSentSince } from './outbox.repo.js';
import { warmupCap } from './throttle.js';

const DAY_MS = 86_400_000;
const REFRESH_MS = 60_000;

/** The warm-up plan (read at each message: a changed setting counts at once): `start` campaign messages on the first sending day, times `factor` each day after. */
export interface Warmup {
  start: number;
  factor: number;
}

/**
 * The daily warm-up cap of campaign mail for one worker: the count of campaign mail sent today by
 * all workers, read from the database at most once a minute, plus the slots this worker reserved
 * since (its sent marks reach the database in batches, so its own count can be ahead).
 */
export function createWarmupCounter(db: Db, plan: () => Warmup | undefined) {
  const state = { day: -1, sent: 0, firstDay: null as number | null, refreshedAt: 0 };

  async function refresh(now: number): Promise<void> {
    const day = Math.floor(now / DAY_MS);
    if (day === state.day && now - state.refreshedAt <= REFRESH_MS) return;
    const counted = await bulkSentSince(db, day * DAY_MS);
    const sent = day === state.day ? Math.max(state.sent, counted.count) : counted.count;
    Object.assign(state, {
      day,
      sent,
      firstDay: counted.first === null ? day : Math.floor(counted.first / DAY_MS),
      refreshedAt: now,
    });
  }

  return {
    /**
     * Reserves one slot for a message about to be sent, or says until when to wait: today's cap is
     * reached and the next slot is at the start of the next UTC day.
     */
    async reserve(now: number): Promise<{ at: number; reason: string } | undefined> {
      const warmup = plan();
      if (!warmup) return undefined;
      await refresh(now);
      const cap = warmupCap(warmup.start, warmup.factor, state.day - (state.firstDay ?? state.day));
      if (state.sent >= cap) {
        return { at: (state.day + 1) * DAY_MS, reason: `warm-up: today's cap of ${cap} messages is reached` };
      }
      state.sent++;
      return undefined;
    },
    /** Gives a reserved slot back (the message was not sent after all). */
    release(): void {
      if (plan()) state.sent--;
    },
  };
}

export type WarmupCounter = ReturnType<typeof createWarmupCounter>;
