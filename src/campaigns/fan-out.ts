import { insertRows } from '../db/bulk-sql.js';
import type { Database } from '../db/database.js';
import { newMessageId } from '../mail/message-id.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { suppressedAmong } from '../consent/consent.repo.js';
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
      const now = Date.now();
      const rows = batch
        .filter((_, i) => !suppressed.has(hashes[i] as string))
        .map((r) => [
          'campaign',
          campaign.id,
          campaign.list_id,
          r.id,
          newMessageId(messageDomain, now),
          'queued',
          0,
          now,
          now,
          now,
        ]);
      const inserted = await insertRows(
        trx,
        database.dialect,
        {
          table: 'outbox',
          columns: [
            'kind',
            'campaign_id',
            'list_id',
            'subscriber_id',
            'message_id',
            'status',
            'attempts',
            'next_attempt_at',
            'created_at',
            'updated_at',
          ],
          suffix:
            'on conflict ("campaign_id", "subscriber_id") where "campaign_id" is not null do nothing returning "id"',
        },
        rows,
      );
      return inserted.length;
    });
  }
}
