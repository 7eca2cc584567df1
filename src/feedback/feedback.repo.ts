import { sql } from '../db/kysely-runtime.js';
import type { Db } from '../db/database.js';
import { param, prepared } from '../db/prepared.js';
import type { FeedbackChannel, FeedbackEventKind, FeedbackEventRow } from '../db/schema.js';
import type { GuardStats } from './guard.js';
import { SENDER_SIDE } from './reasons.js';

export type NewFeedbackEvent = Omit<FeedbackEventRow, 'id'>;

const EVENT_COLUMNS = [
  'at',
  'channel',
  'kind',
  'style',
  'outbox_id',
  'campaign_id',
  'list_id',
  'subscriber_id',
  'recipient',
  'status',
  'diagnostic',
  'action',
  'report_message_id',
  'verified',
  'why',
  'reason',
] as const;
const insertEvent = prepared<Record<string, unknown>, never>((db) =>
  db.insertInto('feedback_events').values(Object.fromEntries(EVENT_COLUMNS.map((c) => [c, param(c)])) as never),
);

export async function insertFeedbackEvent(db: Db, event: NewFeedbackEvent): Promise<void> {
  await insertEvent(db, event as unknown as Record<string, unknown>);
}

export async function quarantine(
  db: Db,
  entry: { at: number; channel: FeedbackChannel; reason: string; raw: Buffer },
): Promise<number> {
  const row = await db
    .insertInto('feedback_quarantine')
    .values({
      at: entry.at,
      channel: entry.channel,
      reason: entry.reason.slice(0, 500),
      size: entry.raw.byteLength,
      raw: entry.raw,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

const softCount = prepared<{ subscriberId: number; since: number }, { n: number }>((db) =>
  db
    .selectFrom('feedback_events')
    .select((s) => s.fn.countAll<number>().as('n'))
    .where('subscriber_id', '=', param('subscriberId'))
    .where('kind', '=', 'soft_bounce')
    .where('at', '>=', param('since'))
    // A refusal that is about us (blocked, policy, spam…) never counts against the address.
    .where((eb) => eb.or([eb('reason', 'is', null), eb('reason', 'not in', [...SENDER_SIDE])])),
);

/** Soft bounces of one subscriber since `since`. */
export async function softBouncesSince(db: Db, subscriberId: number, since: number): Promise<number> {
  return Number((await softCount(db, { subscriberId, since })).rows[0]?.n ?? 0);
}

const reportForRow = prepared<{ reportMessageId: string; outboxId: number }, { id: number }>((db) =>
  db
    .selectFrom('feedback_events')
    .select('id')
    .where('report_message_id', '=', param('reportMessageId'))
    .where('outbox_id', '=', param('outboxId'))
    .limit(1),
);
const reportForNobody = prepared<{ reportMessageId: string }, { id: number }>((db) =>
  db
    .selectFrom('feedback_events')
    .select('id')
    .where('report_message_id', '=', param('reportMessageId'))
    .where('outbox_id', 'is', null)
    .limit(1),
);

/** Whether this report (by its Message-ID) was already applied: intake is idempotent. */
export async function seenReport(db: Db, reportMessageId: string, outboxId: number | null): Promise<boolean> {
  const result =
    outboxId === null
      ? await reportForNobody(db, { reportMessageId })
      : await reportForRow(db, { reportMessageId, outboxId });
  return result.rows.length > 0;
}

/** Feedback counts of a campaign since `since`: hard bounces, soft bounces, complaints (distinct messages). */
export async function campaignFeedbackCounts(
  db: Db,
  campaignId: number,
  since = 0,
): Promise<Record<'hard_bounce' | 'soft_bounce' | 'complaint', number>> {
  const rows = await db
    .selectFrom('feedback_events')
    .select((s) => ['kind', s.fn.count<number>('outbox_id').distinct().as('n')])
    .where('campaign_id', '=', campaignId)
    .where('kind', 'in', ['hard_bounce', 'soft_bounce', 'complaint'])
    .where('at', '>=', since)
    .groupBy('kind')
    .execute();
  const counts = { hard_bounce: 0, soft_bounce: 0, complaint: 0 };
  for (const r of rows) counts[r.kind as keyof typeof counts] = Number(r.n);
  return counts;
}

export async function recentFeedback(
  db: Db,
  options: { limit: number; campaignId?: number; kind?: FeedbackEventKind },
): Promise<FeedbackEventRow[]> {
  let query = db.selectFrom('feedback_events').selectAll();
  if (options.campaignId !== undefined) query = query.where('campaign_id', '=', options.campaignId);
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function quarantineCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('feedback_quarantine')
    .select((s) => s.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Erasure: the reports keep their counts but lose the address. */
/** The address anywhere in a text, in any letter case. */
function addressPattern(address: string): RegExp {
  return new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
}

/**
 * Erasure: feedback about the person keeps its counts but loses the address and the diagnostic
 * (which often quotes it), whether the report was tied to the subscriber or only named the address;
 * quarantined messages that name the address are deleted.
 */
export async function eraseFeedbackOf(
  db: Db,
  person: { subscriberId: number | undefined; email: string },
): Promise<void> {
  const address = person.email.toLowerCase();
  // `_` in the pattern matches any one character: rows are checked again below before they change.
  const pattern = `%${address.replace(/[%\\]/g, '')}%`;
  // Reports tied to the subscriber, naming the address, or quoting it in what we wrote about them
  // (an unverified report's action and why name the address it was about).
  const rows = await db
    .selectFrom('feedback_events')
    .select(['id', 'action', 'why', 'recipient', 'subscriber_id'])
    .where((eb) =>
      eb.or([
        eb(sql<string>`lower(recipient)`, '=', address),
        eb(sql<string>`lower(action)`, 'like', pattern),
        eb(sql<string>`lower(why)`, 'like', pattern),
        ...(person.subscriberId !== undefined ? [eb('subscriber_id', '=', person.subscriberId)] : []),
      ]),
    )
    .orderBy('id')
    .execute();
  const scrub = (text: string | null) =>
    text === null ? null : text.replace(addressPattern(address), '[erased address]');
  const names = (text: string | null) => text !== null && addressPattern(address).test(text);
  for (const row of rows) {
    const about =
      row.recipient?.toLowerCase() === address ||
      (person.subscriberId !== undefined && row.subscriber_id === person.subscriberId) ||
      names(row.action) ||
      names(row.why);
    if (!about) continue;
    await db
      .updateTable('feedback_events')
      .set({
        recipient: null,
        diagnostic: null,
        subscriber_id: null,
        action: scrub(row.action) ?? '',
        why: scrub(row.why),
      })
      .where('id', '=', row.id)
      .execute();
  }
  // The quarantine is small (unreadable messages, pruned); its raw bytes are read here, in batches.
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('feedback_quarantine')
      .select(['id', 'raw'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    const naming = rows
      .filter((r) => Buffer.from(r.raw).toString('utf8').toLowerCase().includes(address))
      .map((r) => r.id);
    if (naming.length > 0) await db.deleteFrom('feedback_quarantine').where('id', 'in', naming).execute();
  }
}

/** Deliveries, complaints and hard bounces of all campaign mail from `domain` since `since`. */
export async function domainStats(db: Db, domain: string, since: number): Promise<GuardStats> {
  const pattern = `%@${domain.replace(/[%_\\]/g, '')}`;
  const delivered = await db
    .selectFrom('outbox as o')
    .innerJoin('lists as l', 'l.id', 'o.list_id')
    .select((s) => s.fn.countAll<number>().as('n'))
    .where('o.kind', '=', 'campaign')
    .where('o.status', 'in', ['sent', 'bounced'])
    .where('o.updated_at', '>=', since)
    .where(sql<string>`lower(l.from_address)`, 'like', pattern)
    .executeTakeFirst();
  const feedback = await db
    .selectFrom('feedback_events as f')
    .innerJoin('lists as l', 'l.id', 'f.list_id')
    .select((s) => ['f.kind', s.fn.count<number>('f.outbox_id').distinct().as('n')])
    .where('f.kind', 'in', ['complaint', 'hard_bounce'])
    .where('f.campaign_id', 'is not', null)
    .where('f.at', '>=', since)
    .where(sql<string>`lower(l.from_address)`, 'like', pattern)
    .groupBy('f.kind')
    .execute();
  const of = (kind: string) => Number(feedback.find((r) => r.kind === kind)?.n ?? 0);
  return { deliveries: Number(delivered?.n ?? 0), complaints: of('complaint'), hardBounces: of('hard_bounce') };
}

/**
 * A page of feedback, newest first: `before` is the keyset (the last id of the previous page).
 * Each filter combination reads one range of an index (0014: kind, verified, id; kind, id; verified, id).
 */
export async function pageFeedbackEvents(
  db: Db,
  options: { kind?: FeedbackEventKind; verified?: boolean; before?: number; limit: number },
): Promise<FeedbackEventRow[]> {
  let query = db.selectFrom('feedback_events').selectAll();
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
  if (options.verified !== undefined) query = query.where('verified', '=', options.verified ? 1 : 0);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function feedbackEventById(db: Db, id: number): Promise<FeedbackEventRow | undefined> {
  return db.selectFrom('feedback_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A page of the quarantine, newest first, without the messages' bytes. */
export async function pageQuarantine(db: Db, options: { before?: number; limit: number }) {
  let query = db.selectFrom('feedback_quarantine').select(['id', 'at', 'channel', 'reason', 'size']);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

/** One quarantined message with its bytes. */
export async function quarantinedById(db: Db, id: number) {
  return db.selectFrom('feedback_quarantine').selectAll().where('id', '=', id).executeTakeFirst();
}
