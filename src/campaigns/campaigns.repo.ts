import type { RawBuilder, SqlBool } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import type { CampaignRow, CampaignStatus } from '../db/schema.js';

export interface NewCampaign {
  listId: number;
  subject: string;
  html: string;
  text: string | null;
  format: 'html' | 'mjml';
  layout: 'newsletter' | 'none';
  segmentId?: number | null;
  excludeListIds?: readonly number[];
  /** `automation`: the content of an automation's step, approved when added and never sent on its own. */
  status?: 'draft' | 'automation';
  /** JSON of an A/B subject test (ab-test.ts). */
  ab?: string | null;
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
      layout: campaign.layout,
      segment_id: campaign.segmentId ?? null,
      exclude_lists: campaign.excludeListIds?.length ? JSON.stringify(campaign.excludeListIds) : null,
      ab: campaign.ab ?? null,
      status: campaign.status ?? 'draft',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** A draft's content (the console's editor); only while it is a draft. */
export async function updateDraft(
  db: Db,
  id: number,
  content: {
    subject: string;
    html: string;
    text: string | null;
    format: 'html' | 'mjml';
    layout: 'newsletter' | 'none';
  },
  now: number,
): Promise<void> {
  await db
    .updateTable('campaigns')
    .set({ ...content, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'draft')
    .execute();
}

export async function findCampaign(db: Db, id: number): Promise<CampaignRow | undefined> {
  return db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Campaigns newest first, with their list's slug (`campaigns list`). */
export async function listCampaigns(
  db: Db,
  filter: { listId?: number; status?: CampaignStatus; limit: number },
): Promise<Array<CampaignRow & { list_slug: string }>> {
  let query = db
    .selectFrom('campaigns as c')
    .innerJoin('lists as l', 'l.id', 'c.list_id')
    .selectAll('c')
    .select('l.slug as list_slug');
  if (filter.listId !== undefined) query = query.where('c.list_id', '=', filter.listId);
  // An automation step's content (status automation) is listed with its automation, not here.
  query =
    filter.status !== undefined
      ? query.where('c.status', '=', filter.status)
      : query.where('c.status', '<>', 'automation');
  return query.orderBy('c.id', 'desc').limit(filter.limit).execute();
}

/** Moves a campaign to `status` if it is in one of `from`; true when it moved. */
export async function moveCampaign(
  db: Db,
  id: number,
  from: readonly CampaignStatus[],
  to: CampaignStatus,
  now: number,
  extra: Partial<
    Pick<
      CampaignRow,
      | 'send_at'
      | 'started_at'
      | 'finished_at'
      | 'stop_reason'
      | 'self_test'
      | 'guard_since'
      | 'guard_base'
      | 'fanout_after'
      | 'audience_filter'
    >
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

/** Stores what `send` approved (null: forgets it), while the campaign is a draft; false when it no longer is. */
export async function storeSnapshot(db: Db, id: number, snapshot: string | null, now: number): Promise<boolean> {
  const result = await db
    .updateTable('campaigns')
    .set({ snapshot, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'draft')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stores the approval of an automation step's content (its snapshot), which is sent as it is. */
export async function storeStepSnapshot(db: Db, id: number, snapshot: string, now: number): Promise<void> {
  await db
    .updateTable('campaigns')
    .set({ snapshot, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'automation')
    .execute();
}

/** Replaces a campaign's A/B test (its decision) if it is still `before`; false when another process did. */
export async function storeAbTest(db: Db, id: number, before: string, after: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('campaigns')
    .set({ ab: after, updated_at: now })
    .where('id', '=', id)
    .where('ab', '=', before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a step's content that was refused before its step was stored. */
export async function deleteStepContent(db: Db, id: number): Promise<void> {
  await db.deleteFrom('campaigns').where('id', '=', id).where('status', '=', 'automation').execute();
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

/**
 * A campaign's status and fan-out position, its row locked on PostgreSQL until the transaction
 * ends: a pause (which holds queued mail) waits for a fan-out batch, or the batch for the pause.
 */
export async function lockForFanOut(
  trx: Db,
  dialect: Dialect,
  id: number,
): Promise<{ status: CampaignStatus; fanout_after: number | null } | undefined> {
  let query = trx.selectFrom('campaigns').select(['status', 'fanout_after']).where('id', '=', id);
  if (dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && { status: row.status, fanout_after: row.fanout_after === null ? null : Number(row.fanout_after) };
}

/** Moves the fan-out position forward (null: every recipient is queued); never back. */
export async function advanceFanOut(trx: Db, id: number, after: number | null, now: number): Promise<void> {
  let query = trx
    .updateTable('campaigns')
    .set({ fanout_after: after, updated_at: now })
    .where('id', '=', id)
    .where('fanout_after', 'is not', null);
  if (after !== null) query = query.where('fanout_after', '<', after);
  await query.execute();
}

/** Starts a running campaign's fan-out again from the first subscriber (rows that exist are skipped). */
export async function restartFanOut(trx: Db, id: number, now: number): Promise<void> {
  await trx
    .updateTable('campaigns')
    .set({ fanout_after: 0, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
}

/** Running campaigns whose fan-out has not finished (a restart carries them on). */
export async function campaignsFanningOut(db: Db): Promise<CampaignRow[]> {
  return db
    .selectFrom('campaigns')
    .selectAll()
    .where('status', '=', 'running')
    .where('fanout_after', 'is not', null)
    .orderBy('id')
    .execute();
}

/**
 * Confirmed subscribers of a list after `afterId`, for the fan-out (keyset paging); with
 * `audience`, only those who meet it (a condition over `s` and `sn`, segments/filter-sql.repo.ts).
 */
export async function confirmedRecipients(
  db: Db,
  listId: number,
  afterId: number,
  limit: number,
  audience?: RawBuilder<SqlBool>,
): Promise<Array<{ id: number; emailKey: string }>> {
  let query = db
    .selectFrom('subscriptions as sn')
    .innerJoin('subscribers as s', 's.id', 'sn.subscriber_id')
    .select(['s.id', 's.email_key'])
    .where('sn.list_id', '=', listId)
    .where('sn.status', '=', 'confirmed')
    .where('sn.subscriber_id', '>', afterId);
  if (audience) query = query.where(audience);
  const rows = await query.orderBy('sn.subscriber_id').limit(limit).execute();
  return rows.map((r) => ({ id: Number(r.id), emailKey: r.email_key }));
}

/** The recipient addresses of a campaign's deferred mail (up to `limit`), for deferrals per destination. */
export async function deferredRecipients(db: Db, campaignId: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('outbox as o')
    .innerJoin('subscribers as s', 's.id', 'o.subscriber_id')
    .select('s.email_key')
    .where('o.campaign_id', '=', campaignId)
    .where('o.status', '=', 'deferred')
    .limit(limit)
    .execute();
  return rows.map((r) => r.email_key);
}
