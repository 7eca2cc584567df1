import type { Database } from '../db/database.js';
import type { ActivityRow } from '../db/schema.js';
import type { Clock } from '../shared/clock.js';
import { withoutControls } from '../shared/terminal-text.js';
import { activityPage, insertActivity } from './accounts.repo.js';

/** One console action: who, what, on what, and how it ended (the HTTP status). */
export interface ActivityEntry {
  userId: number | null;
  actor: string;
  action: string;
  target?: string | undefined;
  outcome: number;
  detail?: Record<string, string | number | boolean> | undefined;
}

export interface ActivityView {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: number;
  detail: Record<string, unknown>;
}

const view = (row: ActivityRow): ActivityView => ({
  id: Number(row.id),
  at: Number(row.at),
  actor: row.actor,
  action: row.action,
  target: row.target,
  outcome: row.outcome,
  detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : {},
});

/** The console's activity log: every action a user takes (and every one refused), newest first. */
export function createActivityLog(deps: { database: Database; clock: Clock }) {
  return {
    async record(entry: ActivityEntry): Promise<void> {
      await insertActivity(deps.database.db, {
        at: deps.clock.now(),
        user_id: entry.userId,
        actor: withoutControls(entry.actor).slice(0, 320),
        action: entry.action.slice(0, 64),
        target: entry.target === undefined ? null : withoutControls(entry.target).slice(0, 200),
        outcome: entry.outcome,
        detail: entry.detail ? JSON.stringify(entry.detail).slice(0, 2000) : null,
      });
    },
    async page(options: { before?: number; limit?: number } = {}): Promise<ActivityView[]> {
      return (await activityPage(deps.database.db, { limit: options.limit ?? 50, ...options })).map(view);
    },
  };
}

export type ActivityLog = ReturnType<typeof createActivityLog>;
