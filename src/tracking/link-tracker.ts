import type { TokenCodec } from '../consent/tokens.js';
import type { Database } from '../db/database.js';
import { staticLinks, trackableLinks, withOpenPixel, withTrackedLinks } from './tracked-html.js';
import { linkIds } from './tracking.repo.js';

const CACHED_CAMPAIGNS = 20;

/**
 * Puts engagement tracking into a rendered message: each link becomes
 * `<public url>/t/c/<token>`, the token signing the message (outbox row) and the link's id, so a
 * click can only ever lead to a link the campaign's mail holds; an open pixel `/t/o/<token>`.
 * Link ids are kept in memory per campaign (a campaign's links are looked up once, not per message).
 */
export function createLinkTracker(deps: { database: Database; tokens: TokenCodec }) {
  /** Per campaign: the links its source writes out as they are (read once), and their ids as looked up. */
  const campaigns = new Map<number, { allowed: Set<string>; ids: Map<string, number> }>();

  function linksOf(campaignId: number, source: string, base: string) {
    let links = campaigns.get(campaignId);
    if (!links) {
      links = { allowed: staticLinks(source, base), ids: new Map() };
      campaigns.set(campaignId, links);
      if (campaigns.size > CACHED_CAMPAIGNS) campaigns.delete(campaigns.keys().next().value as number);
    }
    return links;
  }

  async function idsFor(campaignId: number, ids: Map<string, number>, urls: string[]): Promise<Map<string, number>> {
    const missing = urls.filter((u) => !ids.has(u));
    if (missing.length > 0)
      for (const [url, id] of await linkIds(deps.database.db, campaignId, missing)) ids.set(url, id);
    return ids;
  }

  return {
    /** `source`: the campaign's template; only the links it writes out as they are are tracked (staticLinks). */
    async track(
      html: string,
      message: {
        campaignId: number;
        outboxId: number;
        publicUrl: string;
        clicks: boolean;
        opens: boolean;
        source: string;
      },
    ): Promise<string> {
      const base = message.publicUrl.replace(/\/+$/, '');
      let out = html;
      if (message.clicks) {
        const links = linksOf(message.campaignId, message.source, base);
        const ids = await idsFor(
          message.campaignId,
          links.ids,
          trackableLinks(html, base).filter((url) => links.allowed.has(url)),
        );
        out = withTrackedLinks(out, (url) => {
          const id = ids.get(url);
          return id === undefined ? undefined : `${base}/t/c/${deps.tokens.sign('click', message.outboxId, id)}`;
        });
      }
      if (message.opens) out = withOpenPixel(out, `${base}/t/o/${deps.tokens.sign('open', message.outboxId, 0)}`);
      return out;
    },
  };
}

export type LinkTracker = ReturnType<typeof createLinkTracker>;
