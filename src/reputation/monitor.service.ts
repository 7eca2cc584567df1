import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import { queueOwnerAlert, type OwnerAlerts } from '../mail/owner-alert.js';
import { checkIpRange } from './check-ip.js';
import type { DnsblClient } from './dnsbl-client.js';
import { compareChecks, describeChange, summarise, type ReputationChange } from './monitor-rules.js';
import { latestCheck, insertCheck } from './reputation.repo.js';
import type { ZoneInfo } from './zones.js';
import { systemClock, type Clock } from '../shared/clock.js';

export interface MonitorSettings {
  sendingIps: readonly string[];
  range: number;
  zones: readonly ZoneInfo[];
  /** Zones receivers block on: a listing of one of our IPs here pauses running campaigns. */
  blockingZones: ReadonlySet<string>;
}

/**
 * The blocklist watch under `serve`: each sending IP and its range are checked, every result is
 * stored, and a change (a new listing or delisting of our IP, a rising count of listed
 * neighbours) is logged and mailed to the owner. A listing on a blocking zone pauses every
 * running campaign with the reason.
 */
export function createReputationMonitor(deps: {
  database: Database;
  logger: Logger;
  /** A fresh client per run: answers are cached within a run, never from one run to the next. */
  client: () => DnsblClient;
  settings: MonitorSettings;
  alerts: OwnerAlerts;
  /** Pauses every running campaign with the reason, in the given transaction; the ids it paused. */
  holdAllRunning: (trx: Db, reason: string, now: number) => Promise<number[]>;
  onQueued?: () => void;
  clock?: Clock;
}) {
  const { database, logger, settings } = deps;
  const clock = deps.clock ?? systemClock;

  async function checkOne(client: DnsblClient, ip: string, now: number): Promise<ReputationChange[]> {
    const result = await checkIpRange(client, { ip, range: settings.range, zones: settings.zones });
    const summary = summarise(ip, result.listed);
    const previous = await latestCheck(database.db, ip);
    const changes = compareChecks(ip, previous, summary, settings.blockingZones);
    const blocking = changes.filter(
      (c): c is Extract<ReputationChange, { type: 'listed' }> => c.type === 'listed' && c.blocks,
    );
    const paused: number[] = [];
    await database.transaction(async (trx) => {
      await insertCheck(trx, {
        at: now,
        ip,
        range: result.range,
        self_listed: JSON.stringify(summary.selfListed.map((l) => l.zone)),
        neighbours_listed: summary.neighboursListed,
        result: JSON.stringify({
          zones: result.zones,
          listed: result.listed.slice(0, 300),
          errors: result.errors.slice(0, 50),
        }),
        changes: JSON.stringify(changes),
      });
      if (blocking.length > 0) {
        const reason =
          `sending IP ${ip} is listed in ${blocking.map((b) => b.zone).join(', ')}: ${blocking[0]?.meaning ?? ''}`.slice(
            0,
            500,
          );
        paused.push(...(await deps.holdAllRunning(trx, reason, now)));
      }
      if (changes.length > 0) {
        const text = [
          `Listwarden's blocklist watch found ${changes.length === 1 ? 'a change' : `${changes.length} changes`} for ${ip} (/${result.range}):`,
          '',
          ...changes.map((c) => `- ${describeChange(c)}`),
          ...(paused.length > 0
            ? [
                '',
                `Paused campaigns ${paused.join(', ')}; resume them with \`listwarden campaigns resume <id>\` once the listing is resolved.`,
              ]
            : []),
        ].join('\n');
        await queueOwnerAlert(trx, deps.alerts, `Blocklist change for ${ip}`, text, now);
      }
    });
    for (const change of changes)
      logger.warn(
        { ip, change: change.type, zone: 'zone' in change ? change.zone : undefined },
        describeChange(change),
      );
    if (paused.length > 0)
      logger.warn({ ip, campaigns: paused }, 'campaigns paused: a sending IP is on a blocking list');
    if (changes.length > 0) deps.onQueued?.();
    return changes;
  }

  return {
    /** Checks every sending IP once; returns the changes found per IP. */
    async runOnce(now = clock.now()): Promise<Array<{ ip: string; changes: ReputationChange[] }>> {
      const out: Array<{ ip: string; changes: ReputationChange[] }> = [];
      const client = deps.client();
      for (const ip of settings.sendingIps) out.push({ ip, changes: await checkOne(client, ip, now) });
      return out;
    },
    /** Our sending IPs listed at their latest check, with the zones (the dashboard's alerts). */
    async listings(): Promise<Array<{ ip: string; zones: string[]; at: number }>> {
      const out: Array<{ ip: string; zones: string[]; at: number }> = [];
      for (const ip of settings.sendingIps) {
        const latest = await latestCheck(database.db, ip);
        if (latest && latest.selfListed.length > 0) out.push({ ip, zones: latest.selfListed, at: latest.at });
      }
      return out;
    },
  };
}

export type ReputationMonitor = ReturnType<typeof createReputationMonitor>;
