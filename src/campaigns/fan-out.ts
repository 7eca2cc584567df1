import type { Database } from '../db/database.js';
import { suppressedAmong } from '../consent/consent.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { newMessageId } from '../mail/message-id.js';
import { enqueueCampaignMessages } from '../mail/outbox.repo.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { confirmedRecipients } from './campaigns.repo.js';

/**
 * Writes one outbox row per confirmed, unsuppressed subscriber of the list, in batches of one
 * transaction each. Idempotent: the unique (campaign, subscriber) index makes a re-run skip rows
 * that exist, so an interrupted fan-out can simply run again.
 */
export async function fanOut(
  database: Database,
  campaign: { id: number; list_id: number },
  messageDomain: string,
  batchSize = 1000,
  clock: Clock = systemClock,
): Promise<number> {
  let after = 0;
  let queued = 0;
  for (;;) {
    const batch = await confirmedRecipients(database.db, campaign.list_id, after, batchSize);
    if (batch.length === 0) return queued;
    after = (batch[batch.length - 1] as { id: number }).id;
    const hashes = batch.map((r) => suppressionHash(r.emailKey));
    queued += await database.transaction(async (trx) => {
      const suppressed = await suppressedAmong(trx, database.dialect, hashes);
      const now = clock.now();
      const recipients = batch
        .filter((_, i) => !suppressed.has(hashes[i] as string))
        .map((r) => ({ subscriberId: r.id, messageId: newMessageId(messageDomain, now) }));
      return enqueueCampaignMessages(
        trx,
        database.dialect,
        { id: campaign.id, listId: campaign.list_id },
        recipients,
        now,
      );
    });
  }
}
