import type { Listing } from './check-ip.js';

/** What changed between two checks of one sending IP. Pure. */
export type ReputationChange =
  | {
      type: 'listed';
      ip: string;
      zone: string;
      meaning: string;
      reason: string | undefined;
      delistUrl: string | undefined;
      blocks: boolean;
    }
  | { type: 'delisted'; ip: string; zone: string }
  | { type: 'neighbours_rising'; ip: string; from: number; to: number };

export interface CheckSummary {
  selfListed: Listing[];
  neighboursListed: number;
}

/** Summarises a check of `ip`'s range: its own listings and how many neighbours are listed. */
export function summarise(ip: string, listed: readonly Listing[]): CheckSummary {
  return {
    selfListed: listed.filter((l) => l.ip === ip),
    neighboursListed: new Set(listed.filter((l) => l.ip !== ip).map((l) => l.ip)).size,
  };
}

/**
 * New listings and delistings of the IP itself, and a rising neighbour count (more than 10% and
 * at least 3 more addresses listed: the range is sliding towards a range listing).
 */
export function compareChecks(
  ip: string,
  previous: { selfListed: readonly string[]; neighboursListed: number } | undefined,
  current: CheckSummary,
  blockingZones: ReadonlySet<string>,
): ReputationChange[] {
  const changes: ReputationChange[] = [];
  const before = new Set(previous?.selfListed ?? []);
  const now = new Set(current.selfListed.map((l) => l.zone));
  for (const listing of current.selfListed) {
    if (!before.has(listing.zone)) {
      changes.push({
        type: 'listed',
        ip,
        zone: listing.zone,
        meaning: listing.meanings.join('; '),
        reason: listing.reason,
        delistUrl: listing.delistUrl,
        blocks: blockingZones.has(listing.zone),
      });
    }
  }
  for (const zone of before) if (!now.has(zone)) changes.push({ type: 'delisted', ip, zone });
  const from = previous?.neighboursListed ?? 0;
  const to = current.neighboursListed;
  if (previous && to - from >= 3 && to > from * 1.1) changes.push({ type: 'neighbours_rising', ip, from, to });
  return changes;
}

export function describeChange(change: ReputationChange): string {
  switch (change.type) {
    case 'listed':
      return `${change.ip} is now listed in ${change.zone}: ${change.meaning}${change.reason ? ` (${change.reason})` : ''}${change.delistUrl ? `. Delisting: ${change.delistUrl}` : ''}${change.blocks ? '. Major mailbox providers refuse mail from IPs on this list.' : ''}`;
    case 'delisted':
      return `${change.ip} is no longer listed in ${change.zone}.`;
    case 'neighbours_rising':
      return `Listed neighbours of ${change.ip} rose from ${change.from} to ${change.to}: the range may be listed as a whole next (UCEPROTECT level 2, Spamhaus CSS). Ask your provider about the abusers in your range.`;
  }
}
