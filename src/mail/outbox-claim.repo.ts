import type { SelectQueryBuilder } from 'kysely';
import type { Database, Db, Dialect } from '../db/database.js';
import { skipLocked } from '../db/dialect-sql.js';
import { sql } from '../db/kysely-runtime.js';
import type { OutboxKind, OutboxRow, Tables } from '../db/schema.js';
import { addCounts } from './campaign-counts.repo.js';
import { CountChanges, shardOf } from './count-changes.js';

/**
 * Where a worker's claims of queued campaign mail have got to: the due time of the latest row its
 * last claim took. The next claim starts its index range there instead of at the oldest due time.
 * On PostgreSQL every row that left `queued` keeps a dead entry at the front of that range until
 * VACUUM, so a claim that started at the front walked all of them and its cost grew with the
 * campaign. A look everywhere (`all`: once a second, and whenever a claim found nothing) forgets
 * the cursor first, so the claim after it starts at the front: a row queued behind the cursor (a
 * paused campaign resumed, a put-back, a fan-out batch that committed late) waits about a second,
 * whatever else that look takes. Mail outside campaigns (confirmations, order mail) has no cursor:
 * one committed out of order must not wait that second.
 */
export interface ClaimCursor {
  campaignFrom?: number | undefined;
}

/**
 * Claims due messages for one worker with a lease: `sending` rows whose lease expired (their
 * worker died), then due mail outside campaigns, then deferred and queued campaign mail whose
 * time has come, each claim one statement.
 * The attempt counter moves at claim time, so a crash mid-send still counts as an attempt.
 */
export async function claimDue(
  database: Database,
  options: {
    workerId: string;
    now: number;
    leaseMs: number;
    limit: number;
    kinds?: KindFilter;
    /**
     * false: only queued mail (two statements instead of five). Expired leases and retries are
     * rare and can wait a second; the worker asks for them once a second and whenever it found
     * nothing (PostgreSQL walks the dead index entries of `sending` rows on every look).
     */
    all?: boolean;
    /**
     * Leave this worker's own expired leases alone: a worker that claims its next batch while it
     * still holds rows of the last one (their leases may run out while slow sends go first) must
     * not take them a second time. Rows another worker (or a crashed process) left are taken.
     */
    othersLeasesOnly?: boolean;
    /** Where this worker's last claims of queued campaign mail ended; moved on by this claim. */
    cursor?: ClaimCursor;
  },
): Promise<OutboxRow[]> {
  const { now, limit } = options;
  const { db, dialect } = database;
  const all = options.all ?? true;
  // A look everywhere may fill its batch before it reaches queued campaign mail: the claim after it
  // starts at the front all the same.
  if (all && options.cursor) options.cursor.campaignFrom = undefined;
  // One claim per status, not one query with OR or IN: SQLite answers either by collecting and
  // sorting every due row (a temporary B-tree over all queued rows, per claim: the cost of a
  // campaign grew with the square of its size); each status alone is an index range read in
  // order, stopped at the limit.
  let claimed: OutboxRow[] = [];
  if (all)
    claimed = await claimWhere(
      db,
      dialect,
      options,
      db
        .selectFrom('outbox')
        .select('id')
        .where('status', '=', 'sending')
        .where('lease_until', '<', now)
        .$call((q) => (options.othersLeasesOnly ? q.where('leased_by', '<>', options.workerId) : q))
        .$call((q) => ofKinds(q, options.kinds))
        .orderBy('lease_until')
        .limit(limit),
    );
  // Mail outside campaigns first (a confirmation must not wait behind a million-recipient
  // backlog), then retries (a deferred message has waited longer than the queued ones behind it).
  // A worker of one stream claims its kinds outside campaigns one kind at a time: each an index
  // range of (status, kind, next_attempt_at), so another stream's backlog is never walked.
  const outsideKinds: ReadonlyArray<OutboxKind | undefined> = options.kinds
    ? options.kinds.only.filter((k) => k !== 'campaign')
    : [undefined];
  const claimsCampaigns = !options.kinds || options.kinds.only.includes('campaign');
  const steps: Array<{ status: 'deferred' | 'queued'; kind: OutboxKind | undefined | 'campaign' }> = [
    ...outsideKinds.map((kind) => ({ status: 'deferred' as const, kind })),
    ...outsideKinds.map((kind) => ({ status: 'queued' as const, kind })),
    ...(claimsCampaigns
      ? [
          { status: 'deferred' as const, kind: 'campaign' as const },
          { status: 'queued' as const, kind: 'campaign' as const },
        ]
      : []),
  ];
  for (const { status, kind } of steps) {
    if (claimed.length >= limit) break;
    if (status === 'deferred' && !all) continue;
    let candidates = db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', status)
      .where('next_attempt_at', '<=', now);
    if (kind === 'campaign') candidates = candidates.where('campaign_id', 'is not', null);
    else {
      candidates = candidates.where('campaign_id', 'is', null);
      if (kind !== undefined) candidates = candidates.where('kind', '=', kind);
    }
    const cursored = kind === 'campaign' && status === 'queued';
    const from = cursored ? options.cursor?.campaignFrom : undefined;
    if (from !== undefined) candidates = candidates.where('next_attempt_at', '>=', from);
    const claim = (trx: Db) =>
      claimWhere(trx, dialect, options, candidates.orderBy('next_attempt_at').limit(limit - claimed.length));
    // Deferred campaign mail becomes `queued` again in the campaign's counts: claimed and counted
    // in one transaction. Claiming queued mail changes no count, so it needs none.
    const due =
      kind === 'campaign' && status === 'deferred'
        ? await database.transaction(async (trx) => {
            const rows = await claim(trx);
            const changes = new CountChanges();
            for (const row of rows) changes.move(row.campaign_id, 'deferred', 'sending');
            await addCounts(trx, changes, shardOf(options.workerId));
            return rows;
          })
        : await claim(db);
    // Rows due at the same time as the last one taken may remain (the limit): `>=` keeps them.
    if (cursored && options.cursor && due.length > 0)
      options.cursor.campaignFrom = Math.max(...due.map((row) => row.next_attempt_at));
    claimed = claimed.concat(due);
  }
  // RETURNING has no order; hand rows out in the order they were due, mail outside campaigns first.
  return claimed.sort(
    (a, b) =>
      Number(a.campaign_id !== null) - Number(b.campaign_id !== null) ||
      a.next_attempt_at - b.next_attempt_at ||
      a.id - b.id,
  );
}

/**
 * Which kinds a worker claims (`only` these). Mail outside campaigns is found by the index on
 * (status, kind, next_attempt_at), one range per kind, so a backlog of another stream's mail is
 * never walked (a claim that filtered a 20,000-row order-mail backlog stalled requests).
 */
export interface KindFilter {
  only: readonly OutboxKind[];
}

function ofKinds<O>(
  query: SelectQueryBuilder<Tables, 'outbox', O>,
  kinds: KindFilter | undefined,
): SelectQueryBuilder<Tables, 'outbox', O> {
  return kinds ? query.where('kind', 'in', [...kinds.only]) : query;
}

async function claimWhere(
  db: Db,
  dialect: Dialect,
  options: { workerId: string; now: number; leaseMs: number },
  candidates: SelectQueryBuilder<Tables, 'outbox', { id: number }>,
): Promise<OutboxRow[]> {
  const { workerId, now, leaseMs } = options;
  return db
    .updateTable('outbox')
    .set((eb) => ({
      status: 'sending',
      lease_until: now + leaseMs,
      leased_by: workerId,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where((eb) =>
      dialect === 'postgres'
        ? // PostgreSQL: the locked rows by their physical address (a TID scan), not by a look-up of
          // each id in the primary key. The lock holds them still until the update in this statement.
          eb(
            sql`ctid`,
            '=',
            sql`any(array(${skipLocked(dialect, candidates.clearSelect().select(sql<string>`ctid`.as('ctid')))}))`,
          )
        : eb('id', 'in', candidates),
    )
    .returningAll()
    .execute();
}
