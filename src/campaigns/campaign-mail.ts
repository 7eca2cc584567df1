import { findSubscription } from '../consent/consent.repo.js';
import type { TokenCodec } from '../consent/tokens.js';
import type { Database } from '../db/database.js';
import type { CampaignRow, ListRow, OutboxRow, SubscriberRow } from '../db/schema.js';
import { findListById } from '../lists/lists.repo.js';
import { buildMime, formatMailbox, newBoundary } from '../mail/mime.js';
import type { ReturnPath } from '../mail/envelope.js';
import type { MessageHandler } from '../mail/outbox-worker.js';
import type { OutgoingMessage } from '../mail/transport.js';
import { findSubscriberById, subscribersByIds } from '../subscribers/subscribers.repo.js';
import { subscriptionStatuses } from '../consent/consent.repo.js';
import { listUnsubscribeHeaders, preferencesUrl, unsubscribeUrl } from '../unsubscribe/links.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { findSuppression, suppressedAmong } from '../consent/consent.repo.js';
import { compileCampaign, renderCampaign, type CompiledCampaign } from './campaign-template.js';
import { findCampaign } from './campaigns.repo.js';
import { systemClock, type Clock } from '../shared/clock.js';

export interface CampaignMailDeps {
  database: Database;
  tokens: TokenCodec;
  publicUrl: string;
  postalAddress: string | undefined;
  bounceDomain: string | undefined;
  returnPath: ReturnPath;
  /** The sender id in Feedback-ID (the last field, constant for this installation). */
  feedbackSenderId: string;
  /** The owner's layouts folder templates may name (LISTWARDEN_LAYOUTS_DIR). */
  layoutsDir?: string | undefined;
  clock?: Clock;
}

interface Prepared {
  campaign: CampaignRow;
  list: ListRow;
  compiled: CompiledCampaign;
  from: string;
  boundary: string;
  domain: string;
}

/** The domain opt-out mail and bounces go to: the bounce domain, else the From domain. */
export function mailDomain(list: ListRow, bounceDomain: string | undefined): string {
  return bounceDomain ?? list.from_address.slice(list.from_address.lastIndexOf('@') + 1);
}

/**
 * Builds campaign messages: the template is compiled once per campaign and kept; per recipient
 * only the Liquid render, the tokens and the MIME assembly remain. Eligibility is checked again
 * at send time: only confirmed, unsuppressed subscribers get the message.
 */
/** What render checks of each row, loaded for a whole batch. */
type Ahead = Map<number, { subscriber: SubscriberRow | undefined; status: string | undefined; suppressed: boolean }>;

export function campaignMailHandler(deps: CampaignMailDeps): MessageHandler & {
  /** Renders for one subscriber without the eligibility checks (self-test, test sends). */
  renderFor(
    campaignId: number,
    subscriber: { id: number; email: string; name: string | null; attributes: string },
    messageId: string,
    subjectPrefix?: string,
  ): Promise<OutgoingMessage>;
} {
  const { db } = deps.database;
  const clock = deps.clock ?? systemClock;
  const cache = new Map<number, Promise<Prepared>>();

  function prepared(campaignId: number): Promise<Prepared> {
    let entry = cache.get(campaignId);
    if (!entry) {
      entry = (async () => {
        const campaign = await findCampaign(db, campaignId);
        if (!campaign) throw new Error(`campaign ${campaignId} not found`);
        const list = await findListById(db, campaign.list_id);
        if (!list) throw new Error(`list of campaign ${campaignId} not found`);
        return {
          campaign,
          list,
          compiled: await compileCampaign(campaign, deps.layoutsDir),
          from: formatMailbox(list.from_name, list.from_address),
          boundary: newBoundary(),
          domain: mailDomain(list, deps.bounceDomain),
        };
      })();
      entry.catch(() => cache.delete(campaignId));
      if (cache.size > 50) cache.delete(cache.keys().next().value as number);
      cache.set(campaignId, entry);
    }
    return entry;
  }

  async function build(
    p: Prepared,
    subscriber: { id: number; email: string; name: string | null; attributes: string },
    messageId: string,
    subjectPrefix = '',
    outboxId?: number,
  ): Promise<OutgoingMessage> {
    const { campaign, list, compiled } = p;
    const unsubscribeToken = deps.tokens.sign('unsubscribe', subscriber.id, list.id);
    const rendered = renderCampaign(compiled, {
      subscriber: {
        ...(JSON.parse(subscriber.attributes) as Record<string, unknown>),
        email: subscriber.email,
        name: subscriber.name ?? '',
      },
      list: { name: list.name },
      unsubscribe_url: unsubscribeUrl(deps.publicUrl, unsubscribeToken),
      preferences_url: preferencesUrl(deps.publicUrl, deps.tokens.sign('preferences', subscriber.id, 0)),
      postal_address: deps.postalAddress ?? '',
    });
    const raw = buildMime({
      from: p.from,
      replyTo: list.reply_to,
      to: subscriber.email,
      subject: subjectPrefix + rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId,
      date: new Date(clock.now()),
      headers: {
        ...listUnsubscribeHeaders(deps.publicUrl, unsubscribeToken, p.domain),
        // Gmail's feedback loop groups complaints by these fields: campaign, list, kind, sender.
        'Feedback-ID': `${campaign.id}:${list.id}:campaign:${deps.feedbackSenderId}`,
        'X-Campaign': String(campaign.id),
      },
      boundary: p.boundary,
    });
    return {
      envelopeFrom: deps.returnPath(list.from_address, outboxId),
      envelopeTo: subscriber.email,
      messageId,
      raw,
      bulk: true,
    };
  }

  return {
    /** For one claimed batch: row id → what render checks (the worker hands it back per row). */
    async prefetch(rows): Promise<Ahead> {
      const ahead: Ahead = new Map();
      const ids = rows.map((r) => r.subscriber_id).filter((id): id is number => id !== null);
      const subscribers = await subscribersByIds(db, ids);
      const hashes = new Map([...subscribers.values()].map((s) => [s.id, suppressionHash(s.email_key)]));
      const suppressed = await suppressedAmong(db, deps.database.dialect, [...hashes.values()]);
      const statuses = new Map<string, string>();
      for (const listId of new Set(rows.map((r) => r.list_id).filter((id): id is number => id !== null))) {
        for (const [subscriberId, status] of await subscriptionStatuses(db, listId, ids))
          statuses.set(`${listId}:${subscriberId}`, status);
      }
      for (const row of rows) {
        if (row.subscriber_id === null) continue;
        ahead.set(row.id, {
          subscriber: subscribers.get(row.subscriber_id),
          status: statuses.get(`${row.list_id}:${row.subscriber_id}`),
          suppressed: suppressed.has(hashes.get(row.subscriber_id) ?? ''),
        });
      }
      return ahead;
    },

    async render(row: OutboxRow, prefetched?: unknown) {
      if (row.campaign_id === null || row.subscriber_id === null || row.list_id === null)
        return { skip: 'recipient erased' };
      const p = await prepared(row.campaign_id);
      const known = prefetched instanceof Map ? (prefetched as Ahead).get(row.id) : undefined;
      const subscriber = known ? known.subscriber : await findSubscriberById(db, row.subscriber_id);
      if (!subscriber) return { skip: 'recipient erased' };
      const status = known ? known.status : (await findSubscription(db, row.subscriber_id, row.list_id))?.status;
      if (status !== 'confirmed') return { skip: `subscription is ${status ?? 'gone'}` };
      const suppressed = known
        ? known.suppressed
        : (await findSuppression(db, suppressionHash(subscriber.email_key))) !== undefined;
      if (suppressed) return { skip: 'address is suppressed' };
      return { message: await build(p, subscriber, row.message_id, '', row.id) };
    },

    async renderFor(campaignId, subscriber, messageId, subjectPrefix) {
      return build(await prepared(campaignId), subscriber, messageId, subjectPrefix);
    },
  };
}

export type CampaignMailHandler = ReturnType<typeof campaignMailHandler>;
