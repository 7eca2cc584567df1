import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import { findListById } from '../lists/lists.repo.js';
import { campaignCounts } from '../mail/campaign-counts.repo.js';
import { queueOwnerAlert } from '../mail/owner-alert.js';
import { campaignFeedbackCounts, domainStats } from './feedback.repo.js';
import { BurstCounter, guardVerdict, type GuardSettings, type GuardStats } from './guard.js';
import { systemClock, type Clock } from '../shared/clock.js';

/** What the circuit breaker needs of the campaigns module, given by the composition root. */
export interface GuardedCampaigns {
  /** A campaign's state, or undefined when there is none. */
  find(
    db: Db,
    id: number,
  ): Promise<{ status: string; guardSince: number | null; guardBase: number; listId: number } | undefined>;
  /** Stops a running campaign (`stopped_by_guard`) and holds its unsent mail; false when it was not running. */
  stop(trx: Db, id: number, reason: string, now: number): Promise<boolean>;
}

export interface GuardDeps {
  database: Database;
  logger: Logger;
  settings: GuardSettings;
  /** Where owner alerts go; without it, alerts are log lines only. */
  adminEmail: string | undefined;
  notifyFrom: string;
  campaigns: GuardedCampaigns;
  /** The blocklist a refusal names, with its delisting page (the reputation catalogue). */
  namedBlocklist?: (text: string) => { zone: string; name: string; delistUrl?: string | undefined } | undefined;
  /** A refusal named a blocklist: check our IPs now. */
  onBlocklistNamed?: () => void;
  clock?: Clock;
  onQueued?: () => void;
}

/**
 * The circuit breaker at work: after feedback about a campaign (debounced to once a second per
 * campaign) it judges the campaign and its sending domain; a 4xx burst from one destination is
 * judged at once. A trip stops the campaign (`stopped_by_guard`, unsent mail held), writes a log
 * line and mails the owner. Only `campaigns resume --force` starts it again.
 */
export function createGuard(deps: GuardDeps) {
  const { database, logger } = deps;
  // Read at use: a changed setting (`listwarden settings set guard.…`) takes effect without a restart.
  const settings = (): GuardSettings => deps.settings;
  const clock = deps.clock ?? systemClock;
  const { db } = database;
  const lastCheck = new Map<number, number>();
  const pending = new Map<number, NodeJS.Timeout>();
  const deferrals = new BurstCounter(settings().deferralWindowMs);
  const refusals = new BurstCounter(settings().deferralWindowMs);

  async function stop(campaignId: number, reason: string, advice?: string): Promise<boolean> {
    const now = clock.now();
    const stopped = await database.transaction(async (trx) => {
      if (!(await deps.campaigns.stop(trx, campaignId, reason, now))) return false;
      const text = [
        `Listwarden stopped campaign ${campaignId} to protect your sending reputation.`,
        '',
        `Reason: ${reason}`,
        '',
        ...(advice ? [advice, ''] : []),
        'Unsent mail is held. Find the cause (a bought or stale list, a broken template, a blocked IP),',
        `then resume with: listwarden campaigns resume ${campaignId} --force`,
      ].join('\n');
      await queueOwnerAlert(
        trx,
        { to: deps.adminEmail, from: deps.notifyFrom },
        `Campaign ${campaignId} stopped by the circuit breaker`,
        text,
        now,
      );
      return true;
    });
    if (stopped) {
      logger.warn({ campaignId, reason }, 'circuit breaker stopped a campaign');
      deps.onQueued?.();
    }
    return stopped;
  }

  async function check(campaignId: number): Promise<string | undefined> {
    lastCheck.set(campaignId, clock.now());
    const campaign = await deps.campaigns.find(db, campaignId);
    if (!campaign || campaign.status !== 'running') return undefined;
    const since = campaign.guardSince ?? 0;
    const [counts, mail] = await Promise.all([
      campaignFeedbackCounts(db, campaignId, since),
      campaignCounts(db, campaignId),
    ]);
    // Mail that reached the receiver (sent, or refused in our session) since a forced resume.
    const deliveries = (mail.sent ?? 0) + (mail.bounced ?? 0) - campaign.guardBase;
    const own: GuardStats = { deliveries, complaints: counts.complaint, hardBounces: counts.hard_bounce };
    let reason = guardVerdict(`campaign ${campaignId}`, own, settings());
    if (!reason) {
      const list = await findListById(db, campaign.listId);
      const domain = list ? list.from_address.slice(list.from_address.lastIndexOf('@') + 1).toLowerCase() : undefined;
      if (domain) {
        const windowStart = Math.max(clock.now() - settings().windowMs, since);
        reason = guardVerdict(
          `sending domain ${domain} (last ${Math.round(settings().windowMs / 3_600_000)} h)`,
          await domainStats(db, domain, windowStart),
          settings(),
        );
      }
    }
    if (reason) await stop(campaignId, reason);
    return reason;
  }

  return {
    check,

    /** After a complaint or bounce about a campaign: judge now, or within a second. */
    async afterFeedback(campaignId: number): Promise<void> {
      const last = lastCheck.get(campaignId) ?? 0;
      if (clock.now() - last >= 1000) {
        await check(campaignId);
        return;
      }
      if (pending.has(campaignId)) return;
      const timer = setTimeout(() => {
        pending.delete(campaignId);
        check(campaignId).catch((error: unknown) =>
          logger.error({ err: error, campaignId }, 'circuit breaker check failed'),
        );
      }, 1000);
      timer.unref();
      pending.set(campaignId, timer);
    },

    /** A 4xx or connection failure for a campaign message to `destination`. */
    async afterDeferral(campaignId: number, destination: string): Promise<void> {
      const count = deferrals.record(`${campaignId}:${destination}`, clock.now());
      if (count >= settings().deferralBurst) {
        deferrals.forget(`${campaignId}:`);
        await stop(
          campaignId,
          `campaign ${campaignId}: ${count} deferrals (4xx) from ${destination} within ${Math.round(settings().deferralWindowMs / 60_000)} minutes`,
        );
      }
    },

    /**
     * A receiver refused a campaign message because of us (blocked, spam, policy…): nothing counts
     * against the recipient, but a provider that keeps refusing us stops the campaign, and a
     * refusal that names a blocklist starts a check of our IPs.
     */
    async afterRefusal(campaignId: number, provider: string, reason: string, diagnostic: string): Promise<void> {
      const blocklist = deps.namedBlocklist?.(diagnostic);
      if (blocklist) deps.onBlocklistNamed?.();
      const count = refusals.record(`${campaignId}:${provider}`, clock.now());
      if (count < settings().refusalBurst) return;
      refusals.forget(`${campaignId}:`);
      const minutes = Math.round(settings().deferralWindowMs / 60_000);
      const naming = blocklist ? `, naming ${blocklist.zone} (${blocklist.name})` : '';
      const advice = blocklist
        ? [
            `${provider} refuses mail from our IP because it is listed on ${blocklist.name} (${blocklist.zone}).`,
            `Find out why and ask for delisting${blocklist.delistUrl ? ` at ${blocklist.delistUrl}` : ''}; then check with`,
            '`listwarden reputation check-ip <your sending IP>` before you resume.',
          ].join('\n')
        : `${provider} refuses our mail (${reason}): ${diagnostic.slice(0, 300)}`;
      await stop(
        campaignId,
        `${provider} refused ${count} messages of campaign ${campaignId} within ${minutes} minutes: ${reason}${naming}`,
        advice,
      );
    },

    close(): void {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}

export type Guard = ReturnType<typeof createGuard>;
