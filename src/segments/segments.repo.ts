import type { RawBuilder, SqlBool } from 'kysely';
import type { Db } from '../db/database.js';
import type { ChunkedCounter } from '../db/chunked-count.js';
import { sql } from '../db/kysely-runtime.js';
import type { SegmentsTable } from '../db/schema.js';
import type { Selectable } from 'kysely';

export type SegmentRow = Selectable<SegmentsTable> & { list_slug: string };

export async function insertSegment(
  db: Db,
  segment: { slug: string; listId: number; filter: string },
  now: number,
): Promise<number> {
  const row = await db
    .insertInto('segments')
    .values({ slug: segment.slug, list_id: segment.listId, filter: segment.filter, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

function segmentsWithList(db: Db) {
  return db
    .selectFrom('segments as g')
    .innerJoin('lists as l', 'l.id', 'g.list_id')
    .selectAll('g')
    .select('l.slug as list_slug');
}

export async function findSegment(db: Db, slug: string): Promise<SegmentRow | undefined> {
  return segmentsWithList(db).where('g.slug', '=', slug).executeTakeFirst();
}

export async function findSegmentById(db: Db, id: number): Promise<SegmentRow | undefined> {
  return segmentsWithList(db).where('g.id', '=', id).executeTakeFirst();
}

export async function allSegments(db: Db): Promise<SegmentRow[]> {
  return segmentsWithList(db).orderBy('g.slug').execute();
}

export async function updateSegmentFilter(db: Db, id: number, filter: string, now: number): Promise<void> {
  await db.updateTable('segments').set({ filter, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteSegment(db: Db, id: number): Promise<void> {
  await db.deleteFrom('segments').where('id', '=', id).execute();
}

/** Below this span of subscriber ids a count runs on one connection (threads cost more than they save). */
export const CHUNKED_FROM = 200_000;

/**
 * Confirmed subscribers of a list that meet `condition` (over `s` and `sn`), counted. With a
 * counter (SQLite files) a list spanning many subscriber ids is counted in chunks of ids on
 * reader threads; `chunkedFrom` lowers the span where that starts (tests).
 */
export async function countAudience(
  db: Db,
  listId: number,
  condition: RawBuilder<SqlBool> | undefined,
  counter?: ChunkedCounter,
  chunkedFrom = CHUNKED_FROM,
): Promise<number> {
  let query = db
    .selectFrom('subscriptions as sn')
    .innerJoin('subscribers as s', 's.id', 'sn.subscriber_id')
    .select((q) => q.fn.countAll<number>().as('n'))
    .where('sn.list_id', '=', listId)
    .where('sn.status', '=', 'confirmed');
  if (condition) query = query.where(condition);
  if (counter) {
    const ends = (end: 'asc' | 'desc') =>
      db
        .selectFrom('subscriptions')
        .select('subscriber_id')
        .where('list_id', '=', listId)
        .where('status', '=', 'confirmed')
        .orderBy('subscriber_id', end)
        .limit(1)
        .executeTakeFirst();
    const [first, last] = await Promise.all([ends('asc'), ends('desc')]);
    if (first && last && Number(last.subscriber_id) - Number(first.subscriber_id) >= chunkedFrom) {
      const chunk = query.where(sql<SqlBool>`sn.subscriber_id >= @lo and sn.subscriber_id < @hi`).compile();
      return counter.count(chunk, Number(first.subscriber_id), Number(last.subscriber_id));
    }
  }
  return Number((await query.executeTakeFirst())?.n ?? 0);
}

/** Campaigns not yet over (draft, scheduled, running, paused) that go to a segment: its deletion waits for them. */
export async function campaignsUsingSegment(db: Db, segmentId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('campaigns')
    .select('id')
    .where('segment_id', '=', segmentId)
    .where('status', 'in', ['draft', 'scheduled', 'running', 'paused'])
    .orderBy('id')
    .execute();
  return rows.map((r) => Number(r.id));
}
