import type { Db, Dialect } from '../db/database.js';
import { insertRows } from '../db/bulk-sql.js';
import type { OutboxStatus } from '../db/schema.js';
import { addCounts } from './campaign-counts.repo.js';
import { CountChanges } from './count-changes.js';

// Campaign mail as a whole: queueing it, its progress, and holding or releasing what is unsent.
// Each change of status adds to the campaign's counts (campaign-counts.repo.ts) in the caller's
// transaction.

/** The payload of a campaign message sent with the second subject of an A/B test. */
export const VARIANT_B = '{"variant":"b"}';

/** One campaign message per recipient: rows that exist (same campaign and subscriber) are skipped. */
export async function enqueueCampaignMessages(
  trx: Db,
  dialect: Dialect,
  campaign: { id: number; listId: number },
  recipients: ReadonlyArray<{ subscriberId: number; messageId: string; variant?: 'a' | 'b' }>,
  now: number,
): Promise<number> {
  const inserted = await insertRows(
    trx,
    dialect,
    {
      table: 'outbox',
      columns: [
        ['kind', 'text'],
        ['campaign_id', 'bigint'],
        ['list_id', 'bigint'],
        ['subscriber_id', 'bigint'],
        ['message_id', 'text'],
        ['status', 'text'],
        ['attempts', 'integer'],
        ['next_attempt_at', 'bigint'],
        ['created_at', 'bigint'],
        ['updated_at', 'bigint'],
        ['payload', 'text'],
      ],
      suffix: 'on conflict ("campaign_id", "subscriber_id") where "campaign_id" is not null do nothing returning "id"',
    },
    recipients.map((r) => [
      'campaign',
      campaign.id,
      campaign.listId,
      r.subscriberId,
      r.messageId,
      'queued',
      0,
      now,
      now,
      now,
      r.variant === 'b' ? VARIANT_B : null,
    ]),
  );
  await addCounts(trx, new CountChanges().move(campaign.id, undefined, 'queued', inserted.length));
  return inserted.length;
}

/** Whether the campaign still has mail to send (queued, deferred, being sent or held). */
export async function hasUnsent(db: Db, campaignId: number): Promise<boolean> {
  const row = await db
    .selectFrom('outbox')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', ['queued', 'deferred', 'sending', 'held'])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Messages of a campaign accepted since `since` (the send rate: a range of the last minute's marks). */
export async function sentSince(db: Db, campaignId: number, since: number): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((s) => s.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'sent')
    .where('sent_at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Holds (pause), releases (resume) or cancels the campaign's unsent mail, in the caller's transaction. */
export async function setUnsent(
  trx: Db,
  campaignId: number,
  from: readonly OutboxStatus[],
  to: OutboxStatus,
  now: number,
): Promise<number> {
  const changes = new CountChanges();
  let moved = 0;
  // One status at a time: each count is then known exactly.
  for (const status of from) {
    const result = await trx
      .updateTable('outbox')
      .set({ status: to, updated_at: now })
      .where('campaign_id', '=', campaignId)
      .where('status', '=', status)
      .executeTakeFirst();
    const n = Number(result.numUpdatedRows);
    changes.move(campaignId, status, to, n);
    moved += n;
  }
  await addCounts(trx, changes);
  return moved;
}
