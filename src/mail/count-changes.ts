import type { OutboxStatus } from '../db/schema.js';

/** The statuses a campaign's mail is counted by: `queued` includes mail being sent. */
export type CountedStatus = Exclude<OutboxStatus, 'sending'>;

/** Changes to add: campaign id → status → how many (negative: left that status). */
export class CountChanges {
  private readonly changes = new Map<number, Map<CountedStatus, number>>();

  /** `count` messages of the campaign moved from `from` to `to` (either undefined: none). */
  move(campaignId: number | null, from: OutboxStatus | undefined, to: OutboxStatus | undefined, count = 1): this {
    if (campaignId === null || count === 0) return this;
    const a = from === 'sending' ? 'queued' : from;
    const b = to === 'sending' ? 'queued' : to;
    if (a === b) return this;
    let perStatus = this.changes.get(campaignId);
    if (!perStatus) this.changes.set(campaignId, (perStatus = new Map<CountedStatus, number>()));
    if (a) perStatus.set(a, (perStatus.get(a) ?? 0) - count);
    if (b) perStatus.set(b, (perStatus.get(b) ?? 0) + count);
    return this;
  }

  /** Non-zero changes in a fixed order (campaign, then status): writers lock counter rows in one order. */
  entries(): Array<{ campaignId: number; status: CountedStatus; n: number }> {
    const out: Array<{ campaignId: number; status: CountedStatus; n: number }> = [];
    for (const [campaignId, perStatus] of [...this.changes].sort((x, y) => x[0] - y[0]))
      for (const [status, n] of [...perStatus].sort((x, y) => (x[0] < y[0] ? -1 : 1)))
        if (n !== 0) out.push({ campaignId, status, n });
    return out;
  }
}

/** Shards per campaign and status: each worker adds to one, chosen by its id. */
export const COUNT_SHARDS = 8;

/** The shard a writer adds to: a worker by its id, everything else to shard 0. */
export function shardOf(workerId: string | undefined): number {
  if (workerId === undefined) return 0;
  let h = 0;
  for (let i = 0; i < workerId.length; i++) h = (h * 31 + workerId.charCodeAt(i)) | 0;
  return Math.abs(h) % COUNT_SHARDS;
}
