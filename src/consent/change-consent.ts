import { addToDay } from '../metrics/daily-counts.repo.js';
import { dayOf } from '../metrics/days.js';
import type { Db, Dialect } from '../db/database.js';
import type { ConsentEventType, SubscriptionStatus } from '../db/schema.js';
import { cancelUnsentFor } from '../mail/outbox.repo.js';
import { queueConfirmation, type ConfirmationMailDecision } from './confirmation-queue.js';
import {
  findSubscription,
  insertSubscriptionsBulk,
  lastEventOf,
  recordEvent,
  recordEventsBulk,
  saveSubscription,
  suppress,
  updateEventDetail,
  type SuppressionReason,
} from './consent.repo.js';
import type { EvidenceByAction, ImportEvidence } from './evidence.js';
import type { ConfirmationLimits } from './send-limits.js';
import { suppressionHash } from './suppression-key.js';
import { eventPolicy, transition, type Transition } from './transitions.js';
import { emitWebhookEvent } from '../webhooks/emit.js';
import { orderingKeys } from '../webhooks/events.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';
import { findListById } from '../lists/lists.repo.js';

/** Who acted and from where, as the event's columns. */
export interface EventOrigin {
  ip?: string | null;
  userAgent?: string | null;
  source?: string | null;
}

/** One change of one subscription, with its evidence. */
export interface ConsentChange<A extends keyof EvidenceByAction> {
  subscriberId: number;
  listId: number;
  action: A;
  evidence: EvidenceByAction[A];
  origin?: EventOrigin;
  /** The consent wording the person was shown (signup). */
  consentTextId?: number | null;
  /** Where a confirmation mail goes when the state machine asks for one (signup). */
  confirmation?: {
    emailKey: string;
    fromAddress: string;
    limits: ConfirmationLimits;
    outside?: boolean;
    /** A rejoin from the preference centre (confirmation-queue.ts). */
    rejoin?: boolean;
  };
}

export type ConsentOutcome =
  | { ok: false; reason: string }
  | {
      ok: true;
      previous: SubscriptionStatus | undefined;
      transition: Transition;
      confirmationMail: ConfirmationMailDecision;
    };

/**
 * The consent operation: the only way a subscription's status changes. In the caller's transaction
 * it reads the subscription, asks the state machine (`transitions.ts`), writes the new status,
 * queues the confirmation mail the state machine asks for, and appends the event with its typed
 * evidence. Signup, confirm, unsubscribe and feedback all come through here; imports through
 * `importSubscriptions` below.
 */
export async function changeConsent<A extends keyof EvidenceByAction>(
  trx: Db,
  change: ConsentChange<A>,
  now: number,
): Promise<ConsentOutcome> {
  const current = await findSubscription(trx, change.subscriberId, change.listId);
  const step = transition(current?.status, change.action);
  if (!step.ok) return step;
  const policy = eventPolicy(change.action, step.transition);
  if (policy.write) await saveSubscription(trx, change.subscriberId, change.listId, step.transition.next, now);
  // The dashboard's unsubscribes: people leaving (a complaint is counted as a complaint).
  if (change.action === 'unsubscribe' && policy.write && current?.status !== 'unsubscribed')
    await addToDay(trx, dayOf(now), 'unsubscribe', 1);
  const confirmationMail: ConfirmationMailDecision =
    step.transition.sendConfirmation && change.confirmation
      ? await queueConfirmation(
          trx,
          {
            subscriberId: change.subscriberId,
            listId: change.listId,
            emailKey: change.confirmation.emailKey,
            fromAddress: change.confirmation.fromAddress,
            outside: change.confirmation.outside ?? false,
            rejoin: change.confirmation.rejoin ?? false,
          },
          change.confirmation.limits,
          now,
        )
      : 'not_needed';
  if (policy.record && change.action === 'signup' && current?.status === 'confirmed') {
    await recordRepeatedSignup(trx, change.subscriberId, change.listId, now, change);
  } else if (policy.record) {
    await appendEvent(trx, change, step.transition.event, now, {
      ...change.evidence,
      previousStatus: current?.status ?? null,
      ...(change.confirmation ? { confirmationMail } : {}),
    });
  }
  if (step.transition.changed) await emitStatusEvent(trx, change, step.transition.next, now);
  return { ok: true, previous: current?.status, transition: step.transition, confirmationMail };
}

/**
 * `subscriber.confirmed` and `subscriber.unsubscribed` for the outgoing webhooks, in the same
 * transaction as the change (a crash loses neither). The address and the list are read only when
 * an endpoint wants the event.
 */
async function emitStatusEvent(
  trx: Db,
  change: ConsentChange<keyof EvidenceByAction>,
  next: SubscriptionStatus,
  now: number,
): Promise<void> {
  if (next !== 'confirmed' && next !== 'unsubscribed') return;
  await emitWebhookEvent(
    trx,
    {
      type: next === 'confirmed' ? 'subscriber.confirmed' : 'subscriber.unsubscribed',
      orderingKey: orderingKeys.subscriber(change.subscriberId),
      data: async () => {
        const subscriber = await findSubscriberById(trx, change.subscriberId);
        const list = await findListById(trx, change.listId);
        return {
          email: subscriber?.email ?? null,
          list: list?.slug ?? null,
          status: next,
          reason: change.action,
          at: new Date(now).toISOString(),
        };
      },
    },
    now,
  );
}

/** Appends the event of one change: who and from where as columns, the evidence as `detail`. */
async function appendEvent(
  trx: Db,
  change: ConsentChange<keyof EvidenceByAction>,
  type: ConsentEventType,
  now: number,
  detail: Record<string, unknown>,
): Promise<void> {
  await recordEvent(trx, {
    subscriber_id: change.subscriberId,
    list_id: change.listId,
    type,
    at: now,
    ip: change.origin?.ip ?? null,
    user_agent: change.origin?.userAgent ?? null,
    source: change.origin?.source ?? null,
    consent_text_id: change.consentTextId ?? null,
    detail: JSON.stringify(detail),
  });
}

/**
 * A signup for a subscription that is already confirmed changes nothing; repeated, it is one event
 * that counts (`repeats`, `lastAt`) instead of hundreds of "Signed up" lines in the proof.
 */
async function recordRepeatedSignup(
  trx: Db,
  subscriberId: number,
  listId: number,
  now: number,
  change: ConsentChange<keyof EvidenceByAction>,
): Promise<void> {
  const last = await lastEventOf(trx, subscriberId, listId);
  const detail =
    last?.type === 'signup' && last.detail ? (JSON.parse(last.detail) as Record<string, unknown>) : undefined;
  if (last && detail && detail.previousStatus === 'confirmed') {
    const repeats = (typeof detail.repeats === 'number' ? detail.repeats : 1) + 1;
    await updateEventDetail(trx, last.id, JSON.stringify({ ...detail, repeats, lastAt: new Date(now).toISOString() }));
    return;
  }
  await appendEvent(trx, change, 'signup', now, {
    ...change.evidence,
    previousStatus: 'confirmed',
    confirmationMail: 'not_needed',
    repeats: 1,
  });
}

/**
 * Suppresses an address for good and cancels its unsent mail: complaints, hard bounces, soft
 * bounces over the limit, "leave every list" and erasure all end here.
 */
export async function suppressAndCancel(
  trx: Db,
  person: { emailKey: string; subscriberId?: number | undefined },
  reason: SuppressionReason,
  now: number,
  why?: string,
): Promise<void> {
  await suppress(trx, suppressionHash(person.emailKey), reason, now);
  if (person.subscriberId !== undefined) await cancelUnsentFor(trx, person.subscriberId, now, why);
}

/** One imported subscription: the person, what the file proved, and when a re-permission mail is due. */
export interface ImportedSubscription {
  subscriberId: number;
  confirmedAt: number | null;
  repermissionAt: number | null;
  origin: { ip: string | null; source: string | null };
  evidence: ImportEvidence;
}

/**
 * The consent operation for an import batch: new subscriptions only (the state machine never lets
 * an import change an existing one), with proof `confirmed`, else `pending`; one `imported` event
 * each. Returns the subscribers that got a new subscription.
 */
export async function importSubscriptions(
  trx: Db,
  dialect: Dialect,
  listId: number,
  withProof: boolean,
  rows: readonly ImportedSubscription[],
  now: number,
): Promise<Set<number>> {
  const step = transition(undefined, withProof ? 'import_with_proof' : 'import');
  if (!step.ok) throw new Error(step.reason);
  const created = new Set(
    await insertSubscriptionsBulk(
      trx,
      dialect,
      listId,
      rows.map((r) => ({ ...r, status: step.transition.next })),
      now,
    ),
  );
  await recordEventsBulk(
    trx,
    dialect,
    step.transition.event,
    listId,
    rows
      .filter((r) => created.has(r.subscriberId))
      .map((r) => ({
        subscriberId: r.subscriberId,
        at: now,
        ip: r.origin.ip,
        source: r.origin.source,
        detail: JSON.stringify(r.evidence),
      })),
  );
  return created;
}

/**
 * The synthetic subscriber of the opt-out self-test: confirmed without evidence because it is
 * nobody; the self-test deletes it and its events when it is done.
 */
export async function confirmSyntheticSubscriber(
  trx: Db,
  subscriberId: number,
  listId: number,
  now: number,
): Promise<void> {
  await saveSubscription(trx, subscriberId, listId, 'confirmed', now);
}
