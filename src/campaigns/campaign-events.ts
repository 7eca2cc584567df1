import type { Db } from '../db/database.js';
import type { CampaignStatus } from '../db/schema.js';
import { emitWebhookEvent } from '../webhooks/emit.js';
import { orderingKeys } from '../webhooks/events.js';
import { campaignCounts } from '../mail/campaign-counts.repo.js';
import { findCampaign } from './campaigns.repo.js';

/**
 * `campaign.finished` (nothing left to send) and `campaign.stopped` (cancelled, or stopped by the
 * circuit breaker) for the outgoing webhooks, in the transaction that moves the campaign.
 */
export async function emitCampaignEnd(
  trx: Db,
  campaignId: number,
  status: CampaignStatus,
  now: number,
  reason?: string,
): Promise<void> {
  await emitWebhookEvent(
    trx,
    {
      type: status === 'finished' ? 'campaign.finished' : 'campaign.stopped',
      orderingKey: orderingKeys.campaign(campaignId),
      data: async () => {
        const campaign = await findCampaign(trx, campaignId);
        return {
          id: campaignId,
          subject: campaign?.subject ?? null,
          status,
          ...(reason ? { reason } : {}),
          counts: await campaignCounts(trx, campaignId),
          at: new Date(now).toISOString(),
        };
      },
    },
    now,
  );
}
