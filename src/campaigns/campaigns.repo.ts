import type { Db } from '../db/database.js';
import type { CampaignRow, CampaignStatus, OutboxStatus } from '../db/schema.js';

export interface NewCampaign {
  listId: number;
  subject: string;
  html: string;
  text: string | null;
  format: 'html' | 'mjml';
}

export async function insertCampaign(db: Db, campaign: NewCampaign, now: number): Promise<number> {
  const row = await db
    .insertInto('campaigns')
    .values({
      list_id: campaign.listId,
      subject: campaign.subject,
      html: campaign.html,
      text: campaign.text,
      format: campaign.format,
      status: 'draft',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findCampaign(db: Db, id: number): Promise<CampaignRow | undefined> {
  return db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves a campaign to `status` if it is in one of `from`; true when it moved. */
export async function moveCampaign(
  db: Db,
  id: number,
  from: readonly CampaignStatus[],
  to: CampaignStatus,
  now: number,
  extra: Partial<
    Pick<CampaignRow, 'send_at' | 'started_at' | 'finished_at' | 'stop_reason' | 'self_test' | 'guard_since'>
  > = {},
): Promise<boolean> {
  const result = await db
    .updateTable('campaigns')
    .set({ status: to, updated_at: now, ...extra })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordSelfTest(db: Db, id: number, result: string, now: number): Promise<void> {
  await db.updateTable('campaigns').set({ self_test: result, updated_at: now }).where('id', '=', id).execute();
}

/** Campaigns in a status (e.g. scheduled ones that are due, running ones to finish). */
export async function campaignsIn(db: Db, status: CampaignStatus, dueBefore?: number): Promise<CampaignRow[]> {
  let query = db.selectFrom('campaigns').selectAll().where('status', '=', status);
  if (dueBefore !== undefined) query = query.where('send_at', '<=', dueBefore);
  return query.orderBy('id').execute();
}

/** Outbox rows of a campaign per status. */
export async function outboxCounts(db: Db, campaignId: number): Promise<Partial<Record<OutboxStatus, number>>> {
  const rows = await db
    .selectFrom('outbox')
    .select((s) => ['status', s.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
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

/** Messages of a campaign accepted since `since` (for the send rate). */
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

/** Messages of a campaign that reached the receiver's server (sent, or refused by it in-session). */
export async function campaignDeliveries(db: Db, campaignId: number, since = 0): Promise<number> {
  const sent = await sentSince(db, campaignId, since);
  const refused = await db
    .selectFrom('outbox')
    .select((s) => s.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'bounced')
    .where('updated_at', '>=', since)
    .executeTakeFirst();
  return sent + Number(refused?.n ?? 0);
}

/** Holds (pause) or releases (resume) or cancels the campaign's unsent mail. */
export async function setUnsent(
  db: Db,
  campaignId: number,
  from: readonly OutboxStatus[],
  to: OutboxStatus,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('outbox')
    .set({ status: to, updated_at: now })
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Stops a running campaign (`paused` by a person or the blocklist watch, `stopped_by_guard` by the
 * circuit breaker) and holds its unsent mail; false when it was not running.
 */
export async function holdRunning(
  db: Db,
  campaignId: number,
  to: 'paused' | 'stopped_by_guard',
  now: number,
  reason?: string,
): Promise<boolean> {
  if (!(await moveCampaign(db, campaignId, ['running'], to, now, reason === undefined ? {} : { stop_reason: reason })))
    return false;
  await setUnsent(db, campaignId, ['queued', 'deferred'], 'held', now);
  return true;
}

/** Confirmed subscribers of a list after `afterId`, for the fan-out (keyset paging). */
export async function confirmedRecipients(
  db: Db,
  listId: number,
  afterId: number,
  limit: number,
): Promise<Array<{ id: number; emailKey: string }>> {
  const rows = await db
    .selectFrom('subscriptions as sn')
    .innerJoin('subscribers as s', 's.id', 'sn.subscriber_id')
    .select(['s.id', 's.email_key'])
    .where('sn.list_id', '=', listId)
    .where('sn.status', '=', 'confirmed')
    .where('sn.subscriber_id', '>', afterId)
    .orderBy('sn.subscriber_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: Number(r.id), emailKey: r.email_key }));
}
