import type { Db, Dialect } from '../db/database.js';
import { sql } from '../db/kysely-runtime.js';
import { param, prepared } from '../db/prepared.js';
import type { OutboxKind, OutboxRow, OutboxStatus } from '../db/schema.js';
import { addCounts } from './campaign-counts.repo.js';
import { CountChanges, shardOf } from './count-changes.js';

export interface NewOutboxMessage {
  kind: OutboxKind;
  listId: number | null;
  subscriberId: number | null;
  campaignId?: number | null;
  messageId: string;
  notBefore: number;
  /** JSON content of a notification or a transactional message. */
  payload?: string | null;
  /** A transactional message's recipient (SHA-256 of the lower-cased address). */
  recipientHash?: string | null;
}

const insertMessage = prepared<
  {
    kind: OutboxKind;
    listId: number | null;
    subscriberId: number | null;
    campaignId: number | null;
    messageId: string;
    notBefore: number;
    payload: string | null;
    recipientHash: string | null;
    now: number;
  },
  { id: number }
>((db) =>
  db
    .insertInto('outbox')
    .values({
      kind: param('kind'),
      list_id: param('listId'),
      subscriber_id: param('subscriberId'),
      campaign_id: param('campaignId'),
      message_id: param('messageId'),
      status: 'queued',
      attempts: 0,
      next_attempt_at: param('notBefore'),
      payload: param('payload'),
      recipient_hash: param('recipientHash'),
      created_at: param('now'),
      updated_at: param('now'),
    })
    .returning('id'),
);

/** Queues one message. */
export async function enqueue(db: Db, message: NewOutboxMessage, now: number): Promise<number> {
  const result = await insertMessage(db, {
    ...message,
    campaignId: message.campaignId ?? null,
    payload: message.payload ?? null,
    recipientHash: message.recipientHash ?? null,
    now,
  });
  return Number((result.rows[0] as { id: number }).id);
}

const confirmationsSince = prepared<{ subscriberId: number; listId: number; since: number }, { created_at: number }>(
  (db) =>
    db
      .selectFrom('outbox')
      .select('created_at')
      .where('subscriber_id', '=', param('subscriberId'))
      .where('list_id', '=', param('listId'))
      .where('kind', '=', 'confirmation')
      .where('created_at', '>=', param('since'))
      .where('status', '!=', 'cancelled'),
);

/** How many messages of `kind` to the subscriber were queued since `since` (cancelled ones excluded). */
export async function queuedCountSince(db: Db, subscriberId: number, kind: OutboxKind, since: number): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((s) => s.fn.countAll<number>().as('n'))
    .where('subscriber_id', '=', subscriberId)
    .where('kind', '=', kind)
    .where('created_at', '>=', since)
    .where('status', '!=', 'cancelled')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Creation times of confirmation mails for one address and list since `since` (cancelled ones excluded). */
export async function confirmationTimes(
  db: Db,
  subscriberId: number,
  listId: number,
  since: number,
): Promise<number[]> {
  return (await confirmationsSince(db, { subscriberId, listId, since })).rows.map((r) => Number(r.created_at));
}

/**
 * `status = 'sending'`, written so PostgreSQL checks it on the rows it finds by their ids instead
 * of answering it from outbox_due: every message passes through `sending`, so until VACUUM that
 * range of the index is mostly dead entries (hundreds of thousands during a large campaign),
 * while the statistics say it holds a row or none. Settling one message by its id walked all of
 * them (2,400 pages at a few hundred thousand sent). `is true` is no index condition; on SQLite
 * the id decides anyway.
 */
const isSending = (column: 'status' | 'o.status') => sql<boolean>`(${sql.ref(column)} = 'sending') is true`;

/** Looks up one row: by id (a VERP return path names it) or by the Message-ID a report quotes. */
const outboxOfId = prepared<{ id: number }, OutboxRow>((db) =>
  db.selectFrom('outbox').selectAll().where('id', '=', param('id')),
);
const outboxOfMessageId = prepared<{ messageId: string }, OutboxRow>((db) =>
  db.selectFrom('outbox').selectAll().where('message_id', '=', param('messageId')),
);

export async function outboxById(db: Db, id: number): Promise<OutboxRow | undefined> {
  return (await outboxOfId(db, { id })).rows[0];
}

export async function outboxByMessageId(db: Db, messageId: string): Promise<OutboxRow | undefined> {
  return (await outboxOfMessageId(db, { messageId })).rows[0];
}

/**
 * Records the outcome of a claimed message; ignored (false) when the lease was lost to another
 * worker. A campaign message's move is added to `changes`, which the caller adds to the campaign's
 * counts in the same transaction.
 */
export async function settle(
  db: Db,
  row: Pick<OutboxRow, 'id' | 'campaign_id'>,
  workerId: string,
  outcome:
    | { status: 'sent'; response: string }
    | { status: 'deferred'; error: string; nextAttemptAt: number }
    | { status: Exclude<OutboxStatus, 'sent' | 'deferred' | 'queued' | 'sending'>; error: string },
  now: number,
  changes: CountChanges,
): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({
      status: outcome.status,
      lease_until: null,
      leased_by: null,
      updated_at: now,
      ...(outcome.status === 'sent'
        ? { response: outcome.response.slice(0, 1000), sent_at: now, last_error: null }
        : { last_error: outcome.error.slice(0, 1000) }),
      ...(outcome.status === 'deferred' ? { next_attempt_at: outcome.nextAttemptAt } : {}),
    })
    .where('id', '=', row.id)
    .where(isSending('status'))
    .where('leased_by', '=', workerId)
    .executeTakeFirst();
  const settled = Number(result.numUpdatedRows) === 1;
  if (settled) changes.move(row.campaign_id, 'sending', outcome.status);
  return settled;
}

/**
 * The sent marks of a batch of claimed messages in the caller's transaction; the ids marked (a
 * row whose lease was lost to another worker is left alone). On PostgreSQL one statement for the
 * batch (a round trip per message was most of a flush); on SQLite a prepared update per row.
 */
export async function settleSent(
  trx: Db,
  dialect: Dialect,
  marks: ReadonlyArray<{ row: Pick<OutboxRow, 'id' | 'campaign_id'>; response: string; at: number }>,
  workerId: string,
  changes: CountChanges,
): Promise<Set<number>> {
  const settled = new Set<number>();
  if (marks.length === 0) return settled;
  if (dialect === 'sqlite') {
    for (const { row, response, at } of marks)
      if (await settle(trx, row, workerId, { status: 'sent', response }, at, changes)) settled.add(row.id);
    return settled;
  }
  // A nested loop: each mark's row found by its id in the primary key.
  const result = await sql<{ id: number }>`
    update outbox as o
    set status = 'sent', lease_until = null, leased_by = null, updated_at = v.at, response = v.response,
      sent_at = v.at, last_error = null
    from unnest(${marks.map((m) => m.row.id)}::bigint[], ${marks.map((m) => m.response.slice(0, 1000))}::text[],
      ${marks.map((m) => m.at)}::bigint[]) as v(id, response, at)
    where o.id = v.id and ${isSending('o.status')} and o.leased_by = ${workerId}
    returning o.id`.execute(trx);
  for (const r of result.rows) settled.add(Number(r.id));
  for (const { row } of marks) if (settled.has(row.id)) changes.move(row.campaign_id, 'sending', 'sent');
  return settled;
}

/** Puts one claimed message back until `at` without counting an attempt (pacing, warm-up caps). */
export async function postpone(
  db: Db,
  id: number,
  workerId: string,
  at: number,
  reason: string,
  now: number,
): Promise<void> {
  await putBack(db, [id], workerId, now, { next_attempt_at: at, last_error: reason });
}

/** Bulk messages marked sent since `since` (the warm-up's daily count) and the first one ever. */
export async function bulkSentSince(db: Db, since: number): Promise<{ count: number; first: number | null }> {
  const row = await db
    .selectFrom('outbox')
    .select((s) => [s.fn.countAll<number>().as('n')])
    .where('kind', '=', 'campaign')
    .where('status', '=', 'sent')
    .where('sent_at', '>=', since)
    .executeTakeFirst();
  const first = await db
    .selectFrom('outbox')
    .select((s) => s.fn.min('sent_at').as('first'))
    .where('kind', '=', 'campaign')
    .where('status', '=', 'sent')
    .executeTakeFirst();
  return { count: Number(row?.n ?? 0), first: first?.first == null ? null : Number(first.first) };
}

/** Gives claimed-but-unstarted messages back on shutdown, undoing their attempt count. */
export async function release(db: Db, ids: readonly number[], workerId: string, now: number): Promise<void> {
  if (ids.length === 0) return;
  await putBack(db, ids, workerId, now);
}

/**
 * A claimed row set aside as `held` (its campaign was held), its attempt undone; resuming queues
 * it again. Counted into the campaign's counts in the same transaction.
 */
export async function holdClaimed(
  trx: Db,
  row: Pick<OutboxRow, 'id' | 'campaign_id'>,
  workerId: string,
  reason: string,
  now: number,
): Promise<void> {
  if (await putBack(trx, [row.id], workerId, now, { last_error: reason }, 'held'))
    await addCounts(trx, new CountChanges().move(row.campaign_id, 'sending', 'held'), shardOf(workerId));
}

/**
 * Claimed rows back to `queued` (or `held`) with their attempt undone, only while this worker
 * still holds them.
 */
async function putBack(
  db: Db,
  ids: readonly number[],
  workerId: string,
  now: number,
  extra: { next_attempt_at?: number; last_error?: string } = {},
  status: 'queued' | 'held' = 'queued',
): Promise<number> {
  const result = await db
    .updateTable('outbox')
    .set((eb) => ({
      status,
      lease_until: null,
      leased_by: null,
      attempts: eb('attempts', '-', 1),
      updated_at: now,
      ...extra,
    }))
    .where('id', 'in', [...ids])
    .where(isSending('status'))
    .where('leased_by', '=', workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Cancels every unsent message to a subscriber (erasure, unsubscribe from all). */
const cancelUnsent = prepared<
  { subscriberId: number; status: OutboxStatus; reason: string; now: number },
  { campaign_id: number | null }
>((db) =>
  db
    .updateTable('outbox')
    .set({ status: 'cancelled', last_error: param('reason'), updated_at: param('now') })
    .where('subscriber_id', '=', param('subscriberId'))
    .where('status', '=', param('status'))
    .returning('campaign_id'),
);

/** In the caller's transaction: the campaigns' counts move with the rows. */
export async function cancelUnsentFor(
  trx: Db,
  subscriberId: number,
  now: number,
  reason = 'recipient erased',
): Promise<void> {
  const changes = new CountChanges();
  for (const status of ['queued', 'deferred'] as const)
    for (const row of (await cancelUnsent(trx, { subscriberId, status, reason, now })).rows)
      changes.move(row.campaign_id === null ? null : Number(row.campaign_id), status, 'cancelled');
  await addCounts(trx, changes);
}

/** Counts messages per status. */
export async function countByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select((s) => ['status', s.fn.countAll<number>().as('count')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

/** Which of these Message-IDs (as written in the header, with angle brackets) are in our outbox. */
export async function knownMessageIds(db: Db, messageIds: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < messageIds.length; i += 500) {
    const chunk = messageIds.slice(i, i + 500);
    const rows = await db.selectFrom('outbox').select('message_id').where('message_id', 'in', chunk).execute();
    for (const r of rows) known.add(r.message_id);
  }
  return known;
}

/**
 * Erasure: the transactional mail of one address (by its hash) loses its content, and what has
 * not gone out yet is cancelled; the rows stay as counts.
 */
export async function eraseTransactionalOf(db: Db, recipientHash: string, now: number): Promise<number> {
  await db
    .updateTable('outbox')
    .set({ status: 'cancelled', last_error: 'recipient erased', updated_at: now })
    .where('recipient_hash', '=', recipientHash)
    .where('status', 'in', ['queued', 'deferred', 'held'])
    .execute();
  const result = await db
    .updateTable('outbox')
    .set({ payload: null, recipient_hash: null, updated_at: now })
    .where('recipient_hash', '=', recipientHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
