import { changeConsent, suppressAndCancel } from '../consent/change-consent.js';
import { subscriptionsOf } from '../consent/consent.repo.js';
import type { FeedbackEvidence } from '../consent/evidence.js';
import type { Db } from '../db/database.js';
import type { FeedbackChannel, FeedbackEventKind, OutboxRow, SubscriberRow } from '../db/schema.js';
import { addToDay } from '../metrics/daily-counts.repo.js';
import { dayOf } from '../metrics/days.js';
import { insertFeedbackEvent, softBouncesSince } from './feedback.repo.js';
import type { ParsedFeedback, ReportedRecipient } from './parse-feedback.js';
import { SENDER_SIDE } from './reasons.js';
import { withoutControls } from '../shared/terminal-text.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { readTxPayload } from '../transactional/tx-payload.js';
import { emitWebhookEvent } from '../webhooks/emit.js';
import { orderingKeys } from '../webhooks/events.js';

export interface SoftBounceRule {
  limit: number;
  windowMs: number;
}

/** Whose mail the report is about, as far as we could tell. */
export interface FeedbackTarget {
  outbox: OutboxRow | undefined;
  subscriber: SubscriberRow | undefined;
  /** The recipient of a transactional message (lower-cased), who need not be a subscriber. */
  txRecipient?: string | undefined;
  /** Whether the report is tied to a message we sent (or came with an API key), and why not. */
  trust: { verified: true } | { verified: false; why: string };
}

export interface Applied {
  kind: FeedbackEventKind;
  action: string;
  campaignId: number | null;
  /** The recipient entry the report was read for (its reason, status and diagnostic). */
  entry: ReportedRecipient | undefined;
}

/** The recipient entry of the report that is about our subscriber (or the first one). */
function entryFor(report: ParsedFeedback, subscriber: SubscriberRow | undefined): ReportedRecipient | undefined {
  const key = subscriber?.email_key;
  return report.recipients.find((r) => key !== undefined && r.address?.toLowerCase() === key) ?? report.recipients[0];
}

/**
 * Applies one identified report inside a transaction: a complaint unsubscribes and suppresses,
 * a hard bounce marks the subscription bounced and suppresses, soft bounces suppress once there
 * are `limit` within the window; auto-replies and notices change nothing. Each change of consent
 * is a consent event carrying the evidence; every report becomes one feedback event.
 */
export async function applyFeedback(
  trx: Db,
  report: ParsedFeedback,
  target: FeedbackTarget,
  context: { channel: FeedbackChannel; now: number; softBounces: SoftBounceRule },
): Promise<Applied> {
  const { outbox, subscriber } = target;
  const { now, channel } = context;
  const entry = entryFor(report, subscriber);
  const kind: FeedbackEventKind =
    report.kind === 'complaint'
      ? 'complaint'
      : report.kind === 'auto_reply'
        ? 'auto_reply'
        : report.kind === 'bounce' && entry?.classification === 'hard'
          ? 'hard_bounce'
          : report.kind === 'bounce' && entry?.classification === 'soft'
            ? 'soft_bounce'
            : 'notice';
  const listId = outbox?.list_id ?? null;
  const evidence: FeedbackEvidence = {
    channel,
    style: report.style,
    ...(entry?.status ? { status: entry.status } : {}),
    ...(entry?.diagnostic ? { diagnostic: withoutControls(entry.diagnostic).slice(0, 300) } : {}),
    ...(entry?.remoteMta ? { remoteMta: entry.remoteMta } : {}),
    ...(report.complaint
      ? {
          feedbackType: report.complaint.feedbackType,
          userAgent: report.complaint.userAgent,
          sourceIp: report.complaint.sourceIp,
        }
      : {}),
    ...(report.reportMessageId ? { reportMessageId: report.reportMessageId } : {}),
    ...(outbox ? { outboxId: outbox.id, messageId: outbox.message_id, campaignId: outbox.campaign_id } : {}),
  };

  let action = 'none';
  const person = subscriber && { emailKey: subscriber.email_key, subscriberId: subscriber.id };
  if (!target.trust.verified) {
    action = `unverified: ${target.trust.why}; nothing changed`;
  } else if (!subscriber && target.txRecipient && (kind === 'hard_bounce' || kind === 'complaint')) {
    // A customer who is no subscriber: their address is suppressed (order mail too, for a hard bounce).
    await suppressAndCancel(trx, { emailKey: target.txRecipient }, kind, now);
    action = kind === 'complaint' ? 'recipient complained, address suppressed' : 'address bounced, address suppressed';
  } else if (!subscriber || !person) {
    action = kind === 'auto_reply' || kind === 'notice' ? 'none' : 'no matching recipient';
  } else if (kind === 'complaint') {
    action = await endConsent(trx, subscriber, listId, 'complaint', evidence, now);
    await suppressAndCancel(trx, person, 'complaint', now, 'recipient complained');
    action += ', address suppressed';
  } else if (kind === 'hard_bounce') {
    action = await endConsent(trx, subscriber, listId, 'bounce', { ...evidence, classification: 'hard' }, now);
    await suppressAndCancel(trx, person, 'hard_bounce', now, 'address bounced');
    action += ', address suppressed';
  } else if (kind === 'soft_bounce' && entry?.reason && SENDER_SIDE.has(entry.reason)) {
    action = `refused because of us (${entry.reason}), not counted against the recipient`;
  } else if (kind === 'soft_bounce') {
    const count = (await softBouncesSince(trx, subscriber.id, now - context.softBounces.windowMs)) + 1;
    const days = Math.round(context.softBounces.windowMs / 86_400_000);
    if (count >= context.softBounces.limit) {
      action = await endConsent(
        trx,
        subscriber,
        listId,
        'bounce',
        { ...evidence, classification: 'soft', softBounces: count, windowDays: days },
        now,
      );
      await suppressAndCancel(trx, person, 'soft_bounces', now, 'address kept bouncing');
      action = `${action}, address suppressed after ${count} soft bounces in ${days} days`;
    } else {
      action = `soft bounce ${count} of ${context.softBounces.limit} in ${days} days`;
    }
  } else if (kind === 'auto_reply') {
    action = 'ignored: automatic reply';
  }

  await insertFeedbackEvent(trx, {
    at: now,
    channel,
    kind,
    style: report.style,
    outbox_id: outbox?.id ?? null,
    campaign_id: outbox?.campaign_id ?? null,
    list_id: listId,
    subscriber_id: target.trust.verified ? (subscriber?.id ?? null) : null,
    recipient:
      withoutControls((target.trust.verified ? subscriber?.email : undefined) ?? entry?.address ?? '').slice(0, 320) ||
      null,
    status: entry?.status || null,
    diagnostic: entry?.diagnostic ? withoutControls(entry.diagnostic).slice(0, 500) : null,
    action,
    report_message_id: report.reportMessageId ?? null,
    reason: entry?.reason ?? (kind === 'complaint' ? 'feedback' : kind === 'auto_reply' ? 'vacation' : null),
    verified: target.trust.verified ? 1 : 0,
    why: target.trust.verified ? null : target.trust.why.slice(0, 300),
  });
  if (target.trust.verified && (kind === 'hard_bounce' || kind === 'soft_bounce' || kind === 'complaint')) {
    await addToDay(trx, dayOf(now), kind, 1);
    await emitFeedbackEvents(trx, kind, target, entry, now);
  }
  return { kind, action, campaignId: target.trust.verified ? (outbox?.campaign_id ?? null) : null, entry };
}

/** Moves the list's subscription (or, when the list is unknown, every active one) and records why. */
async function endConsent(
  trx: Db,
  subscriber: SubscriberRow,
  listId: number | null,
  action: 'complaint' | 'bounce',
  evidence: FeedbackEvidence,
  now: number,
): Promise<string> {
  const listIds =
    listId !== null
      ? [listId]
      : (await subscriptionsOf(trx, subscriber.id))
          .filter((s) => s.status === 'confirmed' || s.status === 'pending')
          .map((s) => s.listId);
  let changed = 0;
  for (const id of listIds) {
    const outcome = await changeConsent(
      trx,
      {
        subscriberId: subscriber.id,
        listId: id,
        action,
        evidence,
        origin: { source: `feedback:${evidence.channel}` },
      },
      now,
    );
    if (outcome.ok && outcome.transition.changed) changed++;
  }
  const status = action === 'complaint' ? 'unsubscribed' : 'bounced';
  return changed > 0
    ? `${changed === 1 ? 'subscription' : `${changed} subscriptions`} ${status}`
    : `no active subscription to change`;
}

/**
 * The outgoing webhooks of a verified report: `bounce.hard` and `complaint` about the address, and
 * `tx.bounced` when the message was transactional.
 */
async function emitFeedbackEvents(
  trx: Db,
  kind: 'hard_bounce' | 'soft_bounce' | 'complaint',
  target: FeedbackTarget,
  entry: ReportedRecipient | undefined,
  now: number,
): Promise<void> {
  const { outbox, subscriber } = target;
  const email = subscriber?.email ?? target.txRecipient ?? null;
  const orderingKey = subscriber
    ? orderingKeys.subscriber(subscriber.id)
    : orderingKeys.address(suppressionHash(target.txRecipient ?? ''));
  const about = {
    email,
    outboxId: outbox?.id ?? null,
    campaignId: outbox?.campaign_id ?? null,
    status: entry?.status ?? null,
    diagnostic: entry?.diagnostic ? withoutControls(entry.diagnostic).slice(0, 300) : null,
    at: new Date(now).toISOString(),
  };
  if (kind === 'hard_bounce') await emitWebhookEvent(trx, { type: 'bounce.hard', orderingKey, data: about }, now);
  if (kind === 'complaint') await emitWebhookEvent(trx, { type: 'complaint', orderingKey, data: about }, now);
  if (outbox?.kind === 'transactional' && kind !== 'complaint') {
    const payload = readTxPayload(outbox.payload);
    await emitWebhookEvent(
      trx,
      {
        type: 'tx.bounced',
        orderingKey: orderingKeys.address(suppressionHash(target.txRecipient ?? email?.toLowerCase() ?? '')),
        data: {
          id: outbox.id,
          to: payload?.to ?? email,
          template: payload?.template ?? null,
          bounce: kind === 'hard_bounce' ? 'hard' : 'soft',
          status: about.status,
          diagnostic: about.diagnostic,
          at: about.at,
        },
      },
      now,
    );
  }
}
