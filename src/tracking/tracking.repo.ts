import type { Db } from '../db/database.js';
import { VARIANT_B } from '../mail/campaign-outbox.repo.js';

/** The ids of a campaign's tracked links, each stored once (urls: at most a message's links). */
export async function linkIds(db: Db, campaignId: number, urls: readonly string[]): Promise<Map<string, number>> {
  if (urls.length === 0) return new Map();
  await db
    .insertInto('campaign_links')
    .values(urls.map((url) => ({ campaign_id: campaignId, url })))
    .onConflict((c) => c.columns(['campaign_id', 'url']).doNothing())
    .execute();
  const rows = await db
    .selectFrom('campaign_links')
    .select(['id', 'url'])
    .where('campaign_id', '=', campaignId)
    .where('url', 'in', [...urls])
    .execute();
  return new Map(rows.map((r) => [r.url, Number(r.id)]));
}

export async function findLink(db: Db, id: number): Promise<{ campaignId: number; url: string } | undefined> {
  const row = await db
    .selectFrom('campaign_links')
    .select(['campaign_id', 'url'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { campaignId: Number(row.campaign_id), url: row.url };
}

/** The message a token names: its campaign (or an automation step's content), person and send time. */
export async function trackedMessage(
  db: Db,
  outboxId: number,
): Promise<{ campaignId: number | null; subscriberId: number | null; sentAt: number | null } | undefined> {
  const row = await db
    .selectFrom('outbox')
    .select(['campaign_id', 'subscriber_id', 'sent_at', 'payload', 'kind'])
    .where('id', '=', outboxId)
    .executeTakeFirst();
  if (!row) return undefined;
  const content =
    row.kind === 'automation' && row.payload
      ? (JSON.parse(row.payload) as { contentId?: number }).contentId
      : undefined;
  return {
    campaignId: row.campaign_id === null ? (content ?? null) : Number(row.campaign_id),
    subscriberId: row.subscriber_id === null ? null : Number(row.subscriber_id),
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
  };
}

/** Whether the message has such an open or click (the same link, by a machine or not) since `since`. */
export async function recentEngagement(
  db: Db,
  event: { kind: 'open' | 'click'; outboxId: number; linkId: number | null; machine: boolean },
  since: number,
): Promise<boolean> {
  let query = db
    .selectFrom('engagement')
    .select('id')
    .where('outbox_id', '=', event.outboxId)
    .where('kind', '=', event.kind)
    .where('at', '>=', since)
    .where('machine', '=', event.machine ? 1 : 0);
  query = event.linkId === null ? query.where('link_id', 'is', null) : query.where('link_id', '=', event.linkId);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

export async function recordEngagement(
  db: Db,
  event: {
    kind: 'open' | 'click';
    outboxId: number;
    campaignId: number | null;
    subscriberId: number | null;
    linkId: number | null;
    machine: boolean;
    reason: string | null;
  },
  now: number,
): Promise<void> {
  await db
    .insertInto('engagement')
    .values({
      kind: event.kind,
      outbox_id: event.outboxId,
      campaign_id: event.campaignId,
      subscriber_id: event.subscriberId,
      link_id: event.linkId,
      machine: event.machine ? 1 : 0,
      reason: event.reason,
      at: now,
    })
    .execute();
}

/** A campaign's opens and clicks per link: by people (all, and distinct people) and by machines. */
export async function engagementOf(
  db: Db,
  campaignId: number,
): Promise<Array<{ kind: string; link_id: number | null; machine: number; n: number; people: number }>> {
  const rows = await db
    .selectFrom('engagement')
    .select((q) => [
      'kind',
      'link_id',
      'machine',
      q.fn.countAll<number>().as('n'),
      q.fn.count<number>('subscriber_id').distinct().as('people'),
    ])
    .where('campaign_id', '=', campaignId)
    .groupBy(['kind', 'link_id', 'machine'])
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    link_id: r.link_id === null ? null : Number(r.link_id),
    machine: Number(r.machine),
    n: Number(r.n),
    people: Number(r.people),
  }));
}

export async function linksOf(db: Db, campaignId: number): Promise<Array<{ id: number; url: string }>> {
  const rows = await db
    .selectFrom('campaign_links')
    .select(['id', 'url'])
    .where('campaign_id', '=', campaignId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), url: r.url }));
}

/** A person's opens and clicks go with them (erasure). */
export async function eraseEngagementOf(db: Db, person: { subscriberId: number | undefined }): Promise<void> {
  if (person.subscriberId === undefined) return;
  await db.deleteFrom('engagement').where('subscriber_id', '=', person.subscriberId).execute();
}

/** The people (not machines) who clicked any link of a campaign. */
export async function distinctClickers(db: Db, campaignId: number): Promise<number> {
  const row = await db
    .selectFrom('engagement')
    .select((q) => q.fn.count<number>('subscriber_id').distinct().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('kind', '=', 'click')
    .where('machine', '=', 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** People (not machines) who clicked, and who opened, per subject variant of an A/B-tested campaign. */
export async function engagementByVariant(
  db: Db,
  campaignId: number,
): Promise<{ clicks: { a: number; b: number }; opens: { a: number; b: number } }> {
  const rows = await db
    .selectFrom('engagement as e')
    .innerJoin('outbox as o', 'o.id', 'e.outbox_id')
    .select((q) => ['e.kind', 'o.payload', q.fn.count<number>('e.subscriber_id').distinct().as('people')])
    .where('e.campaign_id', '=', campaignId)
    .where('e.machine', '=', 0)
    .groupBy(['e.kind', 'o.payload'])
    .execute();
  const out = { clicks: { a: 0, b: 0 }, opens: { a: 0, b: 0 } };
  for (const r of rows) {
    const variant = r.payload === VARIANT_B ? 'b' : 'a';
    out[r.kind === 'click' ? 'clicks' : 'opens'][variant] += Number(r.people);
  }
  return out;
}
