import { sql } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import { insertRows } from '../db/bulk-sql.js';
import { param, prepared } from '../db/prepared.js';
import type { SubscriberRow, SubscriptionStatus } from '../db/schema.js';

export interface NewSubscriber {
  email: string;
  key: string;
  name: string | null;
  attributes: Record<string, unknown>;
}

const insertIfNew = prepared<
  { email: string; key: string; name: string | null; attributes: string; now: number },
  { id: number }
>((db) =>
  db
    .insertInto('subscribers')
    .values({
      email: param('email'),
      email_key: param('key'),
      name: param('name'),
      attributes: param('attributes'),
      created_at: param('now'),
      updated_at: param('now'),
    })
    .onConflict((oc) => oc.column('email_key').doNothing())
    .returning('id'),
);

const idByKey = prepared<{ key: string }, { id: number }>((db) =>
  db.selectFrom('subscribers').select('id').where('email_key', '=', param('key')),
);

/**
 * Finds or creates the subscriber for an address and returns its id. An existing record is not
 * overwritten: form input is unverified and must not rename somebody else's record.
 */
export async function upsertSubscriber(db: Db, subscriber: NewSubscriber, now: number): Promise<number> {
  const inserted = await insertIfNew(db, {
    email: subscriber.email,
    key: subscriber.key,
    name: subscriber.name,
    attributes: JSON.stringify(subscriber.attributes),
    now,
  });
  const row = inserted.rows[0] ?? (await idByKey(db, { key: subscriber.key })).rows[0];
  if (!row) throw new Error(`subscriber ${subscriber.key} vanished during upsert`);
  return Number(row.id);
}

const subscriberByKey = prepared<{ key: string }, SubscriberRow>((db) =>
  db.selectFrom('subscribers').selectAll().where('email_key', '=', param('key')),
);
const subscriberById = prepared<{ id: number }, SubscriberRow>((db) =>
  db.selectFrom('subscribers').selectAll().where('id', '=', param('id')),
);

export async function findSubscriberByKey(db: Db, key: string): Promise<SubscriberRow | undefined> {
  return (await subscriberByKey(db, { key })).rows[0];
}

export async function findSubscriberById(db: Db, id: number): Promise<SubscriberRow | undefined> {
  return (await subscriberById(db, { id })).rows[0];
}

/** Subscribers by id, for a batch. */
export async function subscribersByIds(db: Db, ids: readonly number[]): Promise<Map<number, SubscriberRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('subscribers')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [Number(r.id), r]));
}

/** Replaces a subscriber's attributes (a JSON object). */
export async function setAttributes(db: Db, id: number, attributes: string, now: number): Promise<void> {
  await db.updateTable('subscribers').set({ attributes, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteSubscriber(db: Db, id: number): Promise<void> {
  await db.deleteFrom('subscribers').where('id', '=', id).execute();
}

/** Which of `ids` have no subscription left. */
export async function orphansAmong(db: Db, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('subscribers')
    .select('id')
    .where('id', 'in', ids)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('subscriptions')
            .select('subscriber_id')
            .whereRef('subscriptions.subscriber_id', '=', 'subscribers.id'),
        ),
      ),
    )
    .execute();
  return rows.map((r) => r.id);
}

export interface SubscriberPageRow {
  id: number;
  email: string;
  name: string | null;
  attributes: string;
  created_at: number;
  status: SubscriptionStatus | null;
}

/** One page of subscribers ordered by id (keyset paging), optionally of one list and status. */
export async function pageSubscribers(
  db: Db,
  options: { listId?: number; status?: SubscriptionStatus; afterId: number; limit: number },
): Promise<SubscriberPageRow[]> {
  if (options.listId !== undefined) {
    let query = db
      .selectFrom('subscriptions as sn')
      .innerJoin('subscribers as s', 's.id', 'sn.subscriber_id')
      .select(['s.id', 's.email', 's.name', 's.attributes', 's.created_at', 'sn.status'])
      .where('sn.list_id', '=', options.listId)
      // On the subscription's column, so (list_id, status, subscriber_id) is read in order: no sort.
      .where('sn.subscriber_id', '>', options.afterId);
    if (options.status) query = query.where('sn.status', '=', options.status);
    return query.orderBy('sn.subscriber_id').limit(options.limit).execute();
  }
  return db
    .selectFrom('subscribers as s')
    .select(['s.id', 's.email', 's.name', 's.attributes', 's.created_at'])
    .select((eb) => eb.val<SubscriptionStatus | null>(null).as('status'))
    .where('s.id', '>', options.afterId)
    .orderBy('s.id')
    .limit(options.limit)
    .execute();
}

/**
 * Subscribers whose address starts with `prefix` (lower case), in address order after `afterKey`:
 * a range on the unique address index, so it stays fast at millions of rows.
 */
export function searchSubscribersByPrefix(
  db: Db,
  options: { prefix: string; afterKey: string; limit: number },
): Promise<SubscriberPageRow[]> {
  const from = options.afterKey > options.prefix ? options.afterKey : options.prefix;
  return db
    .selectFrom('subscribers as s')
    .select(['s.id', 's.email', 's.name', 's.attributes', 's.created_at'])
    .select((eb) => eb.val<SubscriptionStatus | null>(null).as('status'))
    .where('s.email_key', options.afterKey > options.prefix ? '>' : '>=', from)
    .where('s.email_key', '<', `${options.prefix}\uffff`)
    .orderBy('s.email_key')
    .limit(options.limit)
    .execute();
}

/**
 * People whose name starts with `prefix` (lower-cased), by lower-cased name then id: a range on the
 * `subscribers_name_lower` index; `after` is the last row of the previous page.
 */
export function searchSubscribersByName(
  db: Db,
  options: { prefix: string; after?: { name: string; id: number }; limit: number },
): Promise<SubscriberPageRow[]> {
  const lowerName = sql<string>`lower(s.name)`;
  let query = db
    .selectFrom('subscribers as s')
    .select(['s.id', 's.email', 's.name', 's.attributes', 's.created_at'])
    .select((eb) => eb.val<SubscriptionStatus | null>(null).as('status'))
    .where(lowerName, '>=', options.prefix)
    .where(lowerName, '<', `${options.prefix}\uffff`)
    .orderBy(lowerName)
    .orderBy('s.id')
    .limit(options.limit);
  const after = options.after;
  if (after)
    query = query.where((eb) =>
      eb.or([eb(lowerName, '>', after.name), eb.and([eb(lowerName, '=', after.name), eb('s.id', '>', after.id)])]),
    );
  return query.execute();
}

/**
 * Inserts the addresses of an import batch and returns the id of every one of them (new or
 * already known), keyed by address key. The caller leaves suppressed addresses out.
 */
export async function upsertSubscribersBulk(
  db: Db,
  dialect: Dialect,
  rows: ReadonlyArray<{ email: string; key: string; name: string | null; attributes: string }>,
  now: number,
): Promise<Map<string, number>> {
  const result = await insertRows<{ id: number; email_key: string }>(
    db,
    dialect,
    {
      table: 'subscribers',
      columns: [
        ['email', 'text'],
        ['email_key', 'text'],
        ['name', 'text'],
        ['attributes', 'text'],
        ['created_at', 'bigint'],
        ['updated_at', 'bigint'],
      ],
      // A no-op update so RETURNING also yields the ids of addresses we already had.
      suffix: 'on conflict ("email_key") do update set "email_key" = excluded."email_key" returning "id", "email_key"',
    },
    rows.map((r) => [r.email, r.key, r.name, r.attributes, now, now]),
  );
  return new Map(result.map((r) => [r.email_key, Number(r.id)]));
}
