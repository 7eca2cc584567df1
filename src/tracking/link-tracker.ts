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
  const known = new Map<number, Map<string, number>>();
  const statics = new Map<number, Set<string>>();

  /** The campaign's static links, read from its source once. */
  function staticOf(campaignId: number, source: string, base: string): Set<string> {
    let links = statics.get(campaignId);
    if (!links) {
      links = staticLinks(source, base);
      statics.set(campaignId, links);
      if (statics.size > CACHED_CAMPAIGNS) statics.delete(statics.keys().next().value as number);
    }
    return links;
  }

  async function idsFor(campaignId: number, urls: string[]): Promise<Map<string, number>> {
    let ids = known.get(campaignId);
    if (!ids) {
      ids = new Map();
      known.set(campaignId, ids);
      if (known.size > CACHED_CAMPAIGNS) known.delete(known.keys().next().value as number);
    }
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
        const allowed = staticOf(message.campaignId, message.source, base);
        const ids = await idsFor(
          message.campaignId,
          trackableLinks(html, base).filter((url) => allowed.has(url)),
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
