import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { readSetting, writeSetting } from '../db/settings.repo.js';
import { queueOwnerAlert, type OwnerAlerts } from '../mail/owner-alert.js';
import { knownMessageIds } from '../mail/outbox.repo.js';
import { runAudit } from './audit.service.js';
import type { Finding } from './finding.js';
import type { Host } from './host.js';
import { dueAlerts, parseWatchState, spambotAlert } from './spambot-watch-rules.js';
import { systemClock, type Clock } from '../shared/clock.js';

const STATE_KEY = 'audit.spambot-watch';

/**
 * The spambot check under `serve`: the `mail` area of the audit (port-25 connections around the
 * MTA, mail in the log or queue that Listwarden did not send, PHP mailers, the queue) on a timer.
 * A new critical finding is logged and mailed to the owner at once, in the same transaction
 * that records it, so a restart neither loses nor repeats an alert.
 */
export function createSpambotWatch(deps: {
  database: Database;
  host: Host;
  logger: Logger;
  alerts: OwnerAlerts;
  foreignLimit: number;
  postfixConfig?: string | undefined;
  onQueued?: () => void;
  remindMs?: number;
  clock?: Clock;
}) {
  const { database, logger } = deps;
  const clock = deps.clock ?? systemClock;
  return {
    async runOnce(now = clock.now()): Promise<{ critical: Finding[]; alerted: Finding[] }> {
      const report = await runAudit(deps.host, {
        only: ['mail'],
        mailActivity: true,
        mta: undefined,
        ours: (ids) => knownMessageIds(database.db, ids),
        foreignAbuse: undefined,
        npmAudit: undefined,
        foreignLimit: deps.foreignLimit,
        postfixConfig: deps.postfixConfig,
      });
      const due = await database.transaction(async (trx) => {
        const { due, next } = dueAlerts(parseWatchState(await readSetting(trx, STATE_KEY)), report, now, deps.remindMs);
        await writeSetting(trx, STATE_KEY, JSON.stringify(next));
        if (due.length > 0) {
          const alert = spambotAlert(due, hostname());
          await queueOwnerAlert(trx, deps.alerts, alert.subject, alert.text, now);
        }
        return due;
      });
      for (const f of due) logger.error({ check: f.id, evidence: f.evidence, fix: f.fix }, `spambot check: ${f.title}`);
      if (due.length > 0) deps.onQueued?.();
      return { critical: report.findings.filter((f) => f.severity === 'critical'), alerted: due };
    },
    /** The critical findings of the last check that are still open (the dashboard's alerts). */
    async openCriticals(): Promise<Array<{ id: string; at: number; evidence: string }>> {
      const state = parseWatchState(await readSetting(database.db, STATE_KEY));
      return Object.entries(state.alerted).map(([id, entry]) => ({ id, ...entry }));
    },
  };
}

export type SpambotWatch = ReturnType<typeof createSpambotWatch>;
