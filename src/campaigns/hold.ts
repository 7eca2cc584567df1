import type { Db } from '../db/database.js';
import { setUnsent } from '../mail/campaign-outbox.repo.js';
import { CAMPAIGN_MOVES } from './campaign-transitions.js';
import type { GuardedCampaigns } from '../feedback/guard.service.js';
import { campaignsIn, findCampaign, moveCampaign } from './campaigns.repo.js';
import { emitCampaignEnd } from './campaign-events.js';

/**
 * Stops a running campaign (`pause`: a person or the blocklist watch; `guard_stop`: the circuit
 * breaker) and holds its unsent mail, in the caller's transaction; false when it was not running.
 */
export async function holdCampaign(
  trx: Db,
  campaignId: number,
  event: 'pause' | 'guard_stop',
  now: number,
  reason?: string,
): Promise<boolean> {
  const move = CAMPAIGN_MOVES[event];
  const extra = reason === undefined ? {} : { stop_reason: reason };
  if (!(await moveCampaign(trx, campaignId, move.from, move.to, now, extra))) return false;
  await setUnsent(trx, campaignId, ['queued', 'deferred'], 'held', now);
  if (event === 'guard_stop')
    await emitCampaignEnd(trx, campaignId, move.to, now, reason ?? 'stopped by the circuit breaker');
  return true;
}

/** Pauses every running campaign with `reason` (a blocklist listing); the ids it paused. */
export async function holdAllRunning(trx: Db, reason: string, now: number): Promise<number[]> {
  const paused: number[] = [];
  for (const campaign of await campaignsIn(trx, 'running')) {
    if (await holdCampaign(trx, campaign.id, 'pause', now, reason)) paused.push(campaign.id);
  }
  return paused;
}

/** What the circuit breaker reads of a campaign and how it stops one. */
export const guardedCampaigns: GuardedCampaigns = {
  find: async (db, id) => {
    const campaign = await findCampaign(db, id);
    return (
      campaign && {
        status: campaign.status,
        guardSince: campaign.guard_since,
        guardBase: Number(campaign.guard_base),
        listId: campaign.list_id,
      }
    );
  },
  stop: (trx, id, reason, now) => holdCampaign(trx, id, 'guard_stop', now, reason),
};
