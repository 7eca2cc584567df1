import type { TokenCodec } from '../consent/tokens.js';
import type { Database } from '../db/database.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { machineReason, type Fetch } from './machine-opens.js';
import * as repo from './tracking.repo.js';

const REPEAT_WINDOW_MS = 10 * 60_000;

export interface LinkReport {
  campaignId: number;
  opens: { people: number; total: number; machine: number };
  clicks: { people: number; total: number; machine: number };
  links: Array<{ url: string; clicks: number; people: number; machine: number }>;
}

/**
 * Opens and clicks of tracked mail. A click's token is checked before anything else: a token that
 * does not verify (tampered, made up) is answered "not found" and nothing is recorded or
 * redirected; a valid one leads to the link stored for the campaign, never to an address from the
 * request. Machines are recorded as machines (machine-opens.ts) and kept out of the rates.
 */
export function createTracking(deps: { database: Database; tokens: TokenCodec; clock?: Clock }) {
  const { db } = deps.database;
  const clock = deps.clock ?? systemClock;

  async function record(
    kind: 'open' | 'click',
    outboxId: number,
    linkId: number | null,
    fetch: Omit<Fetch, 'sinceSentMs'>,
  ) {
    const message = await repo.trackedMessage(db, outboxId);
    // A message erased since (its row is gone): the reader still gets the page, nothing is kept.
    if (!message) return;
    const now = clock.now();
    const reason = machineReason({ ...fetch, sinceSentMs: message.sentAt === null ? undefined : now - message.sentAt });
    // A reloaded pixel or link is one open or click in ten minutes, however often it is requested.
    const same = { kind, outboxId, linkId, machine: reason !== undefined };
    if (await repo.recentEngagement(db, same, now - REPEAT_WINDOW_MS)) return;
    await repo.recordEngagement(
      db,
      {
        kind,
        outboxId,
        campaignId: message.campaignId,
        subscriberId: message.subscriberId,
        linkId,
        machine: reason !== undefined,
        reason: reason ?? null,
      },
      now,
    );
  }

  return {
    /** The link a click token leads to, after recording the click; undefined for a token that does not verify. */
    async click(token: string, fetch: Omit<Fetch, 'sinceSentMs'>): Promise<string | undefined> {
      const check = deps.tokens.verify(token, 'click');
      if (!check.ok) return undefined;
      const link = await repo.findLink(db, check.claims.listId);
      if (!link) return undefined;
      await record('click', check.claims.subscriberId, check.claims.listId, fetch);
      return link.url;
    },

    /** Records an open for a valid token; false when the token does not verify. */
    async open(token: string, fetch: Omit<Fetch, 'sinceSentMs'>): Promise<boolean> {
      const check = deps.tokens.verify(token, 'open');
      if (!check.ok) return false;
      await record('open', check.claims.subscriberId, null, fetch);
      return true;
    },

    /** A campaign's opens and clicks, by people and by machines, per link. */
    async report(campaignId: number): Promise<LinkReport> {
      const [rows, links] = await Promise.all([repo.engagementOf(db, campaignId), repo.linksOf(db, campaignId)]);
      const sum = (kind: string, machine: number, field: 'n' | 'people') =>
        rows.filter((r) => r.kind === kind && r.machine === machine).reduce((a, r) => a + r[field], 0);
      const total = (kind: string) => ({
        people: sum(kind, 0, 'people'),
        total: sum(kind, 0, 'n'),
        machine: sum(kind, 1, 'n'),
      });
      const clicks = total('click');
      // Distinct people over all links, not the sum per link.
      clicks.people = await repo.distinctClickers(db, campaignId);
      return {
        campaignId,
        opens: total('open'),
        clicks,
        links: links.map((l) => {
          const of = (machine: number) =>
            rows.find((r) => r.kind === 'click' && r.link_id === l.id && r.machine === machine);
          return { url: l.url, clicks: of(0)?.n ?? 0, people: of(0)?.people ?? 0, machine: of(1)?.n ?? 0 };
        }),
      };
    },
  };
}

export type TrackingService = ReturnType<typeof createTracking>;
