import type { Db } from '../db/database.js';
import type { CountChanges, CountedStatus } from './count-changes.js';

// A campaign's mail per status, kept as it moves (table campaign_counts), so reading it costs the
// same at a hundred recipients and at ten million. `queued` includes mail being sent: claiming a
// queued message changes no count. Every change of a campaign row's status (outbox.repo.ts,
// campaign-outbox.repo.ts) adds its change here in the same transaction.
/** Adds the changes in the caller's transaction (the one that moved the rows). */
export async function addCounts(trx: Db, changes: CountChanges, shard = 0): Promise<void> {
  for (const { campaignId, status, n } of changes.entries()) {
    await trx
      .insertInto('campaign_counts')
      .values({ campaign_id: campaignId, status, shard, n })
      .onConflict((oc) =>
        oc.columns(['campaign_id', 'status', 'shard']).doUpdateSet((eb) => ({ n: eb('campaign_counts.n', '+', n) })),
      )
      .execute();
  }
}

/** A campaign's mail per status (`queued` includes mail being sent). */
export async function campaignCounts(db: Db, campaignId: number): Promise<Partial<Record<CountedStatus, number>>> {
  const rows = await db
    .selectFrom('campaign_counts')
    .select((s) => ['status', s.fn.sum<number>('n').as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy('status')
    .execute();
  const counts: Partial<Record<CountedStatus, number>> = {};
  for (const r of rows) if (Number(r.n) !== 0) counts[r.status as CountedStatus] = Number(r.n);
  return counts;
}
