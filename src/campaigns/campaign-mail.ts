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
import { AppError } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { SigningKey } from '../mail/dkim.js';
import type { DkimKeysService } from '../dkim/dkim-keys.service.js';
import type { Approval } from './approval.js';
import { holdCampaign } from './hold.js';
import { readSnapshot, type CampaignSnapshot } from './snapshot.js';
import { createLinkTracker } from '../tracking/link-tracker.js';
import { VARIANT_B } from '../mail/campaign-outbox.repo.js';
import { readAbTest } from './ab-test.js';

export interface CampaignMailDeps {
  database: Database;
  tokens: TokenCodec;
  returnPath: ReturnPath;
  /** The sender id in Feedback-ID (the last field, constant for this installation). */
  feedbackSenderId: string;
  /** What a draft would be approved with now (test copies and checks render from it). */
  approval: Pick<Approval, 'snapshotNow'>;
  keys: Pick<DkimKeysService, 'resolve'>;
  clock?: Clock;
}

/** Everything a campaign's messages are built from, ready for one recipient after another. */
interface Prepared {
  campaignId: number;
  /** May be kept for a few seconds: approved (or running from before snapshots), not a draft. */
  cacheable: boolean;
  snapshot: CampaignSnapshot;
  compiled: CompiledCampaign;
  /** An A/B test's second subject (with the same content). */
  compiledB?: CompiledCampaign | undefined;
  from: string;
  boundary: string;
  domain: string;
  signWith: SigningKey[];
}

/** Why an approved campaign cannot go out as approved (it is held with this reason). */
class CannotSendAsApproved extends Error {}

/** The domain opt-out mail and bounces go to: the bounce domain, else the From domain. */
export function mailDomain(list: Pick<ListRow, 'from_address'>, bounceDomain: string | null | undefined): string {
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
  /** `event`: an automation's mail, the data its templates read as `event`. */
  render(row: OutboxRow, prefetched?: unknown, event?: Record<string, unknown>): ReturnType<MessageHandler['render']>;
  prefetch(rows: readonly OutboxRow[]): Promise<unknown>;
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
  const cache = new Map<number, { at: number; entry: Promise<Prepared> }>();
  const compiledSnapshots = new Map<number, { snapshot: string; compiled: CompiledCampaign }>();
  const tracker = createLinkTracker({ database: deps.database, tokens: deps.tokens });

  /** A stored snapshot (an approved campaign), else what a draft would be approved with now. */
  async function snapshotOf(campaign: CampaignRow): Promise<CampaignSnapshot> {
    const stored = readSnapshot(campaign);
    if (stored) return stored;
    const list = await findListById(db, campaign.list_id);
    if (!list) throw new Error(`list of campaign ${campaign.id} not found`);
    return (await deps.approval.snapshotNow(campaign, list, clock.now())).snapshot;
  }

  async function prepare(campaignId: number): Promise<Prepared> {
    const campaign = await findCampaign(db, campaignId);
    if (!campaign) throw new Error(`campaign ${campaignId} not found`);
    const snapshot = await snapshotOf(campaign);
    const keys = await deps.keys.resolve(snapshot.dkim);
    if ('problem' in keys) throw new CannotSendAsApproved(keys.problem);
    let compiled: CompiledCampaign;
    try {
      // An approved template never changes: compiled once, however often the keys are checked again.
      const kept = campaign.snapshot !== null ? compiledSnapshots.get(campaignId) : undefined;
      compiled =
        kept && kept.snapshot === campaign.snapshot
          ? kept.compiled
          : await compileCampaign(snapshot.template, snapshot.layouts);
      if (campaign.snapshot !== null) {
        compiledSnapshots.set(campaignId, { snapshot: campaign.snapshot, compiled });
        if (compiledSnapshots.size > 50) compiledSnapshots.delete(compiledSnapshots.keys().next().value as number);
      }
    } catch (error) {
      if (campaign.snapshot === null) throw error;
      throw new CannotSendAsApproved(`its approved template no longer compiles (${(error as Error).message})`);
    }
    const ab = readAbTest(campaign.ab);
    return {
      campaignId,
      cacheable: campaign.snapshot !== null || campaign.status !== 'draft',
      snapshot,
      compiled,
      compiledB: ab
        ? await compileCampaign({ ...snapshot.template, subject: ab.subjectB }, snapshot.layouts)
        : undefined,
      from: formatMailbox(snapshot.list.fromName, snapshot.list.fromAddress),
      boundary: newBoundary(),
      domain: mailDomain({ from_address: snapshot.list.fromAddress }, snapshot.bounceDomain),
      signWith: keys.keys,
    };
  }

  /**
   * Approved campaigns are cached for a few seconds (then prepared again, so a removed key or
   * secret holds the campaign soon; a campaign running from before snapshots existed renders from
   * this process's settings, as it did); a draft is prepared afresh each time (its settings may
   * change, and once sent it must render from its snapshot).
   */
  function prepared(campaignId: number): Promise<Prepared> {
    const now = clock.now();
    const cached = cache.get(campaignId);
    if (cached && now - cached.at < 10_000) return cached.entry;
    const entry = prepare(campaignId);
    cache.set(campaignId, { at: now, entry });
    entry.then(
      (p) => {
        if (!p.cacheable) cache.delete(campaignId);
      },
      () => cache.delete(campaignId),
    );
    if (cache.size > 50) cache.delete(cache.keys().next().value as number);
    return entry;
  }

  async function build(
    p: Prepared,
    subscriber: { id: number; email: string; name: string | null; attributes: string },
    messageId: string,
    subjectPrefix = '',
    outboxId?: number,
    event?: Record<string, unknown>,
  ): Promise<OutgoingMessage> {
    const { snapshot, compiled } = p;
    const list = snapshot.list;
    const unsubscribeToken = deps.tokens.sign('unsubscribe', subscriber.id, list.id);
    const rendered = renderCampaign(compiled, {
      subscriber: {
        ...(JSON.parse(subscriber.attributes) as Record<string, unknown>),
        email: subscriber.email,
        name: subscriber.name ?? '',
      },
      list: { name: list.name },
      unsubscribe_url: unsubscribeUrl(snapshot.publicUrl, unsubscribeToken),
      preferences_url: preferencesUrl(snapshot.publicUrl, deps.tokens.sign('preferences', subscriber.id, 0)),
      postal_address: snapshot.postalAddress,
      ...(event ? { event } : {}),
    });
    // Engagement tracking, when the list has it on (off by default); never in test copies.
    const tracking = list.tracking;
    const html =
      outboxId !== undefined && tracking && (tracking.clicks || tracking.opens)
        ? await tracker.track(rendered.html, {
            campaignId: p.campaignId,
            outboxId,
            publicUrl: snapshot.publicUrl,
            source: snapshot.template.html,
            ...tracking,
          })
        : rendered.html;
    const raw = buildMime({
      from: p.from,
      replyTo: list.replyTo,
      to: subscriber.email,
      subject: subjectPrefix + rendered.subject,
      text: rendered.text,
      html,
      messageId,
      date: new Date(clock.now()),
      headers: {
        ...listUnsubscribeHeaders(snapshot.publicUrl, unsubscribeToken, p.domain),
        // Gmail's feedback loop groups complaints by these fields: campaign, list, kind, sender.
        'Feedback-ID': `${p.campaignId}:${list.id}:campaign:${deps.feedbackSenderId}`,
        'X-Campaign': String(p.campaignId),
      },
      boundary: p.boundary,
    });
    return {
      envelopeFrom: deps.returnPath(list.fromAddress, outboxId, snapshot.bounceDomain),
      envelopeTo: subscriber.email,
      messageId,
      raw,
      bulk: true,
      signWith: p.signWith,
    };
  }

  /** Holds a running campaign that cannot go out as approved, with the reason `campaigns status` shows. */
  async function holdAsNotApproved(campaignId: number, reason: string): Promise<string> {
    const sentence = `Held: ${reason}. Nothing more is sent until it is fixed; then \`listwarden campaigns resume ${campaignId}\`.`;
    await deps.database.transaction((trx) => holdCampaign(trx, campaignId, 'pause', clock.now(), sentence));
    return sentence;
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

    /** `event`: an automation's mail, the data its templates read as `event`. */
    async render(row: OutboxRow, prefetched?: unknown, event?: Record<string, unknown>) {
      if (row.campaign_id === null || row.subscriber_id === null || row.list_id === null)
        return { skip: 'recipient erased' };
      let p: Prepared;
      try {
        p = await prepared(row.campaign_id);
      } catch (error) {
        if (!(error instanceof CannotSendAsApproved)) throw error;
        // An automation's step: its automation is paused by the caller (automation-mail.ts).
        if (row.kind === 'automation') return { hold: error.message };
        return { hold: await holdAsNotApproved(row.campaign_id, error.message) };
      }
      const known = prefetched instanceof Map ? (prefetched as Ahead).get(row.id) : undefined;
      const subscriber = known ? known.subscriber : await findSubscriberById(db, row.subscriber_id);
      if (!subscriber) return { skip: 'recipient erased' };
      const status = known ? known.status : (await findSubscription(db, row.subscriber_id, row.list_id))?.status;
      if (status !== 'confirmed') return { skip: `subscription is ${status ?? 'gone'}` };
      const suppressed = known
        ? known.suppressed
        : (await findSuppression(db, suppressionHash(subscriber.email_key))) !== undefined;
      if (suppressed) return { skip: 'address is suppressed' };
      // An A/B test's second subject goes to the rows queued with it.
      const variant = row.payload === VARIANT_B && p.compiledB ? { ...p, compiled: p.compiledB } : p;
      return { message: await build(variant, subscriber, row.message_id, '', row.id, event) };
    },

    async renderFor(campaignId, subscriber, messageId, subjectPrefix) {
      try {
        return await build(await prepared(campaignId), subscriber, messageId, subjectPrefix);
      } catch (error) {
        if (error instanceof CannotSendAsApproved)
          throw new AppError('conflict', `The campaign cannot be rendered as approved: ${error.message}.`);
        throw error;
      }
    },
  };
}

export type CampaignMailHandler = ReturnType<typeof campaignMailHandler>;
