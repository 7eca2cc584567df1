import type { Db, Dialect } from '../db/database.js';
import { insertRows } from '../db/bulk-sql.js';
import { param, prepared } from '../db/prepared.js';
import { CompiledQuery, sql } from '../db/kysely-runtime.js';
import { CopyRows } from '../db/copy-rows.js';
import { withoutLinkTokens } from '../shared/link-tokens.js';
import type {
  ConsentEventRow,
  ConsentEventType,
  NewConsentEvent,
  SubscriptionRow,
  SubscriptionStatus,
} from '../db/schema.js';

const subscriptionOf = prepared<{ subscriberId: number; listId: number }, SubscriptionRow>((db) =>
  db
    .selectFrom('subscriptions')
    .selectAll()
    .where('subscriber_id', '=', param('subscriberId'))
    .where('list_id', '=', param('listId')),
);

export async function findSubscription(
  db: Db,
  subscriberId: number,
  listId: number,
): Promise<SubscriptionRow | undefined> {
  return (await subscriptionOf(db, { subscriberId, listId })).rows[0];
}

type SaveParams = { subscriberId: number; listId: number; now: number };

/** One upsert per target status: each stamps (or clears) its own columns. */
function saveAs(status: SubscriptionStatus) {
  const stamps = {
    confirmed_at: status === 'confirmed' ? param('now') : null,
    unsubscribed_at: status === 'unsubscribed' ? param('now') : null,
  };
  return prepared<SaveParams, never>((db) =>
    db
      .insertInto('subscriptions')
      .values({
        subscriber_id: param('subscriberId'),
        list_id: param('listId'),
        status,
        created_at: param('now'),
        updated_at: param('now'),
        ...stamps,
      })
      .onConflict((oc) =>
        oc.columns(['subscriber_id', 'list_id']).doUpdateSet({
          status,
          updated_at: param('now'),
          ...(status === 'confirmed' ? { confirmed_at: param('now') } : {}),
          ...(status === 'unsubscribed' ? { unsubscribed_at: param('now') } : {}),
          ...(status === 'pending' ? { confirmed_at: null, unsubscribed_at: null } : {}),
        }),
      ),
  );
}

const SAVE: Record<SubscriptionStatus, (db: Db, params: SaveParams) => Promise<unknown>> = {
  pending: saveAs('pending'),
  confirmed: saveAs('confirmed'),
  unsubscribed: saveAs('unsubscribed'),
  bounced: saveAs('bounced'),
};

/** Writes the status of one subscription, stamping when it was confirmed or ended. */
export async function saveSubscription(
  db: Db,
  subscriberId: number,
  listId: number,
  status: SubscriptionStatus,
  now: number,
): Promise<void> {
  await SAVE[status](db, { subscriberId, listId, now });
}

type EventParams = Omit<ConsentEventRow, 'id'>;

const insertEvent = prepared<EventParams, never>((db) =>
  db.insertInto('consent_events').values({
    subscriber_id: param('subscriber_id'),
    list_id: param('list_id'),
    type: param('type'),
    at: param('at'),
    ip: param('ip'),
    user_agent: param('user_agent'),
    source: param('source'),
    consent_text_id: param('consent_text_id'),
    detail: param('detail'),
  }),
);

/** Appends one event to the consent log. */
export async function recordEvent(db: Db, event: NewConsentEvent): Promise<void> {
  await insertEvent(db, {
    subscriber_id: event.subscriber_id ?? null,
    list_id: event.list_id ?? null,
    type: event.type,
    at: event.at,
    ip: event.ip ?? null,
    user_agent: event.user_agent ?? null,
    source: event.source ?? null,
    consent_text_id: event.consent_text_id ?? null,
    detail: event.detail ?? null,
  });
}

/** The newest event of one subscription, if any. */
export async function lastEventOf(
  db: Db,
  subscriberId: number,
  listId: number,
): Promise<Pick<ConsentEventRow, 'id' | 'type' | 'detail'> | undefined> {
  return db
    .selectFrom('consent_events')
    .select(['id', 'type', 'detail'])
    .where('subscriber_id', '=', subscriberId)
    .where('list_id', '=', listId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The consent text the newest signup to a list showed (its id), if it named one. */
export async function lastSignupConsentTextId(
  db: Db,
  subscriberId: number,
  listId: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('consent_events')
    .select('consent_text_id')
    .where('subscriber_id', '=', subscriberId)
    .where('list_id', '=', listId)
    .where('type', '=', 'signup')
    .where('consent_text_id', 'is not', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.consent_text_id ?? undefined;
}

/** When the person last left a list (unsubscribe, complaint, bounce), if ever. */
export async function lastLeftAt(db: Db, subscriberId: number, listId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('consent_events')
    .select((s) => s.fn.max('at').as('at'))
    .where('subscriber_id', '=', subscriberId)
    .where('list_id', '=', listId)
    .where('type', 'in', ['unsubscribed', 'complaint', 'bounce'])
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

/** Rewrites the evidence of one event (a repeated signup counts up instead of adding events). */
export async function updateEventDetail(db: Db, id: number, detail: string): Promise<void> {
  await db.updateTable('consent_events').set({ detail }).where('id', '=', id).execute();
}

export interface SubscriptionView {
  listId: number;
  list: string;
  listName: string;
  status: SubscriptionStatus;
  createdAt: number;
  confirmedAt: number | null;
  unsubscribedAt: number | null;
}

export async function subscriptionsOf(db: Db, subscriberId: number): Promise<SubscriptionView[]> {
  const rows = await db
    .selectFrom('subscriptions as sn')
    .innerJoin('lists as l', 'l.id', 'sn.list_id')
    .select(['l.id', 'l.slug', 'l.name', 'sn.status', 'sn.created_at', 'sn.confirmed_at', 'sn.unsubscribed_at'])
    .where('sn.subscriber_id', '=', subscriberId)
    .orderBy('l.slug')
    .execute();
  return rows.map((r) => ({
    listId: r.id,
    list: r.slug,
    listName: r.name,
    status: r.status,
    createdAt: r.created_at,
    confirmedAt: r.confirmed_at,
    unsubscribedAt: r.unsubscribed_at,
  }));
}

export interface EventView {
  type: ConsentEventType;
  at: number;
  list: string | null;
  ip: string | null;
  userAgent: string | null;
  source: string | null;
  consentVersion: number | null;
  consentText: string | null;
  /** The language of that wording. */
  consentLanguage: string | null;
  detail: Record<string, unknown>;
}

/** The consent log of a subscriber, oldest first, with the wording each event refers to. */
export async function eventsOf(db: Db, subscriberId: number, listId?: number): Promise<EventView[]> {
  let query = db
    .selectFrom('consent_events as e')
    .leftJoin('lists as l', 'l.id', 'e.list_id')
    .leftJoin('consent_texts as t', 't.id', 'e.consent_text_id')
    .select([
      'e.type',
      'e.at',
      'l.slug',
      'e.ip',
      'e.user_agent',
      'e.source',
      't.version',
      't.text',
      't.language',
      'e.detail',
      'e.id',
    ])
    .where('e.subscriber_id', '=', subscriberId);
  if (listId !== undefined) query = query.where('e.list_id', '=', listId);
  const rows = await query.orderBy('e.at').orderBy('e.id').execute();
  return rows.map((r) => ({
    type: r.type,
    at: r.at,
    list: r.slug,
    ip: r.ip,
    userAgent: r.user_agent,
    // Sources recorded before the boundary dropped tokens are shown without them (proof, export, show).
    source: r.source === null ? null : withoutLinkTokens(r.source),
    consentVersion: r.version,
    consentText: r.text,
    consentLanguage: r.language,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {},
  }));
}

/**
 * Strips personal data from a subscriber's events (of one list, or all); type, time and list
 * stay so counts remain right.
 */
export async function anonymiseEvents(db: Db, subscriberId: number, listId?: number): Promise<void> {
  let query = db
    .updateTable('consent_events')
    .set({ subscriber_id: null, ip: null, user_agent: null, source: null, detail: null })
    .where('subscriber_id', '=', subscriberId);
  if (listId !== undefined) query = query.where('list_id', '=', listId);
  await query.execute();
}

/** Inserts subscriptions for an import batch; returns the subscribers that had none on this list. */
export async function insertSubscriptionsBulk(
  db: Db,
  dialect: Dialect,
  listId: number,
  rows: ReadonlyArray<{
    subscriberId: number;
    status: SubscriptionStatus;
    confirmedAt: number | null;
    repermissionAt: number | null;
  }>,
  now: number,
): Promise<number[]> {
  const inserted = await insertRows<{ subscriber_id: number }>(
    db,
    dialect,
    {
      table: 'subscriptions',
      columns: [
        ['subscriber_id', 'bigint'],
        ['list_id', 'bigint'],
        ['status', 'text'],
        ['created_at', 'bigint'],
        ['updated_at', 'bigint'],
        ['confirmed_at', 'bigint'],
        ['repermission_at', 'bigint'],
      ],
      suffix: 'on conflict ("subscriber_id", "list_id") do nothing returning "subscriber_id"',
    },
    rows.map((r) => [r.subscriberId, listId, r.status, now, now, r.confirmedAt, r.repermissionAt]),
  );
  return inserted.map((r) => Number(r.subscriber_id));
}

/**
 * Appends many events of one type and list (an import's evidence): on PostgreSQL through COPY,
 * the fastest way in, in the caller's transaction.
 */
export async function recordEventsBulk(
  db: Db,
  dialect: Dialect,
  type: ConsentEventType,
  listId: number,
  events: ReadonlyArray<{
    subscriberId: number;
    at: number;
    ip: string | null;
    source: string | null;
    detail: string | null;
  }>,
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => [e.subscriberId, listId, type, e.at, e.ip, e.source, e.detail]);
  if (dialect === 'postgres') {
    await db.executeQuery(
      CompiledQuery.raw(
        'copy "consent_events" ("subscriber_id", "list_id", "type", "at", "ip", "source", "detail") from stdin',
        [new CopyRows(rows)],
      ),
    );
    return;
  }
  await insertRows(
    db,
    dialect,
    {
      table: 'consent_events',
      columns: [
        ['subscriber_id', 'bigint'],
        ['list_id', 'bigint'],
        ['type', 'text'],
        ['at', 'bigint'],
        ['ip', 'text'],
        ['source', 'text'],
        ['detail', 'text'],
      ],
    },
    rows,
  );
}

/** Subscriptions pending since before `before` (last signup), oldest first. */
export async function stalePending(
  db: Db,
  before: number,
  limit: number,
): Promise<Array<{ subscriberId: number; listId: number }>> {
  const rows = await db
    .selectFrom('subscriptions')
    .select(['subscriber_id', 'list_id'])
    .where('status', '=', 'pending')
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ subscriberId: r.subscriber_id, listId: r.list_id }));
}

export async function deleteSubscription(db: Db, subscriberId: number, listId: number): Promise<void> {
  await db
    .deleteFrom('subscriptions')
    .where('subscriber_id', '=', subscriberId)
    .where('list_id', '=', listId)
    .execute();
}

/** Deletes all subscriptions of a subscriber (erasure). */
export async function deleteSubscriptionsOf(db: Db, subscriberId: number): Promise<void> {
  await db.deleteFrom('subscriptions').where('subscriber_id', '=', subscriberId).execute();
}

/** The latest scheduled re-permission mail: where the next import's schedule starts. */
export async function lastRepermissionAt(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .select((s) => s.fn.max('repermission_at').as('last'))
    .where('repermission_at', 'is not', null)
    .executeTakeFirst();
  return row?.last == null ? undefined : Number(row.last);
}

/** Re-permission mails still waiting (imported addresses not yet asked): how many, and when the last goes. */
export async function repermissionBacklog(db: Db): Promise<{ waiting: number; lastAt: number | null }> {
  const row = await db
    .selectFrom('subscriptions')
    .select((s) => [s.fn.countAll<number>().as('n'), s.fn.max('repermission_at').as('last')])
    .where('repermission_at', 'is not', null)
    .executeTakeFirst();
  return { waiting: Number(row?.n ?? 0), lastAt: row?.last == null ? null : Number(row.last) };
}

/** Each subscriber's lists and statuses, for a page of subscribers shown without a list filter. */
export async function listStatusesOf(
  db: Db,
  subscriberIds: readonly number[],
): Promise<Map<number, Array<{ list: string; status: SubscriptionStatus }>>> {
  const out = new Map<number, Array<{ list: string; status: SubscriptionStatus }>>();
  if (subscriberIds.length === 0) return out;
  const rows = await db
    .selectFrom('subscriptions as sn')
    .innerJoin('lists as l', 'l.id', 'sn.list_id')
    .select(['sn.subscriber_id', 'l.slug', 'sn.status'])
    .where('sn.subscriber_id', 'in', [...subscriberIds])
    .orderBy('l.slug')
    .execute();
  for (const r of rows) {
    const entry = out.get(r.subscriber_id) ?? [];
    entry.push({ list: r.slug, status: r.status });
    out.set(r.subscriber_id, entry);
  }
  return out;
}

/** Re-permission mails whose time has come, oldest first. */
export async function dueRepermissions(
  db: Db,
  now: number,
  limit: number,
): Promise<Array<{ subscriberId: number; listId: number; status: SubscriptionStatus }>> {
  const rows = await db
    .selectFrom('subscriptions')
    .select(['subscriber_id', 'list_id', 'status'])
    .where('repermission_at', 'is not', null)
    .where('repermission_at', '<=', now)
    .orderBy('repermission_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ subscriberId: r.subscriber_id, listId: r.list_id, status: r.status }));
}

/** Marks a re-permission mail as handled (queued, or no longer needed). */
export async function clearRepermission(db: Db, subscriberId: number, listId: number): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({ repermission_at: null })
    .where('subscriber_id', '=', subscriberId)
    .where('list_id', '=', listId)
    .execute();
}

/** Deletes every event of a synthetic subscriber (self-tests); people's events are anonymised, never deleted. */
export async function deleteEventsOf(db: Db, subscriberId: number): Promise<void> {
  await db.deleteFrom('consent_events').where('subscriber_id', '=', subscriberId).execute();
}

/** Status of each of `subscriberIds` on a list, for a batch. */
export async function subscriptionStatuses(
  db: Db,
  listId: number,
  subscriberIds: readonly number[],
): Promise<Map<number, SubscriptionStatus>> {
  if (subscriberIds.length === 0) return new Map();
  // `+list_id`: found by the primary key (subscriber, list), one seek per id. SQLite's planner,
  // without statistics, took the (list, status, subscriber) index for `list_id = ?` and read every
  // member of the list for each batch: 300 ms a batch of 100 at a million members, the whole
  // growth of the cost per message with the list's size (issue 17).
  const rows = await db
    .selectFrom('subscriptions')
    .select(['subscriber_id', 'status'])
    .where(sql<number>`+${sql.ref('list_id')}`, '=', listId)
    .where('subscriber_id', 'in', [...subscriberIds])
    .execute();
  return new Map(rows.map((r) => [Number(r.subscriber_id), r.status]));
}

// Suppressions and the confirmation-mail limits have their own file; they are consent's tables too.
export * from './suppressions.repo.js';
