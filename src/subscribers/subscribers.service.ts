import { anonymiseFeedbackOf } from '../feedback/feedback.repo.js';
import type { ClientContext } from '../consent/client-context.js';
import {
  anonymiseEvents,
  deleteSubscriptionsOf,
  eventsOf,
  recordEvent,
  subscriptionsOf,
} from '../consent/consent.repo.js';
import type { Database } from '../db/database.js';
import type { SubscriptionStatus } from '../db/schema.js';
import type { ListsService } from '../lists/lists.service.js';
import { cancelUnsentFor } from '../mail/outbox.repo.js';
import { invalidInput, notFound } from '../shared/app-error.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { findSuppression, suppress } from '../consent/consent.repo.js';
import { normaliseEmail, type EmailAddress } from './email-address.js';
import * as repo from './subscribers.repo.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** A subscriber with all we hold about them (`subscribers show`, GET /api/v1/subscribers/:email). */
export interface SubscriberView {
  id: number;
  email: string;
  name: string | null;
  attributes: Record<string, unknown>;
  createdAt: string;
  suppressed: { reason: string; since: string } | null;
  subscriptions: Array<{
    list: string;
    listName: string;
    status: SubscriptionStatus;
    createdAt: string;
    confirmedAt: string | null;
    unsubscribedAt: string | null;
  }>;
  events: Array<{
    type: string;
    at: string;
    list: string | null;
    ip: string | null;
    userAgent: string | null;
    source: string | null;
    consentVersion: number | null;
    consentText: string | null;
    detail: Record<string, unknown>;
  }>;
}

const STATUSES: readonly SubscriptionStatus[] = ['pending', 'confirmed', 'unsubscribed', 'bounced'];

/** Parses an address given by an admin (CLI argument, URL segment). */
export function parseAddress(input: unknown): EmailAddress {
  const check = normaliseEmail(input);
  if (!check.ok) throw invalidInput(check.reason);
  return check.address;
}

/** Reading, exporting, listing and erasing subscriber records. */
export function createSubscribersService(database: Database, lists: ListsService) {
  const { db } = database;

  async function show(email: unknown): Promise<SubscriberView> {
    const address = parseAddress(email);
    const subscriber = await repo.findSubscriberByKey(db, address.key);
    if (!subscriber) throw notFound(`There is no subscriber ${address.email}.`);
    const [subscriptions, events, suppression] = await Promise.all([
      subscriptionsOf(db, subscriber.id),
      eventsOf(db, subscriber.id),
      findSuppression(db, suppressionHash(subscriber.email_key)),
    ]);
    return {
      id: subscriber.id,
      email: subscriber.email,
      name: subscriber.name,
      attributes: JSON.parse(subscriber.attributes) as Record<string, unknown>,
      createdAt: new Date(subscriber.created_at).toISOString(),
      suppressed: suppression
        ? { reason: suppression.reason, since: new Date(suppression.createdAt).toISOString() }
        : null,
      subscriptions: subscriptions.map((s) => ({
        list: s.list,
        listName: s.listName,
        status: s.status,
        createdAt: new Date(s.createdAt).toISOString(),
        confirmedAt: iso(s.confirmedAt),
        unsubscribedAt: iso(s.unsubscribedAt),
      })),
      events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    };
  }

  return {
    show,

    /** Everything held about a person, as a portable document (GDPR Art. 15/20). */
    async exportData(email: unknown): Promise<{ exportedAt: string; subscriber: SubscriberView }> {
      return { exportedAt: new Date().toISOString(), subscriber: await show(email) };
    },

    /**
     * Erases a person: the record, subscriptions and unsent mail go, the event log loses every
     * personal field, and only the SHA-256 suppression entry remains so they are never mailed.
     * Works for unknown addresses too (a "never mail me" request).
     */
    async erase(email: unknown, context: ClientContext): Promise<{ erased: boolean; suppressionHash: string }> {
      const address = parseAddress(email);
      const hash = suppressionHash(address.key);
      const erased = await database.transaction(async (trx) => {
        const now = Date.now();
        await suppress(trx, hash, 'erased', now);
        const subscriber = await repo.findSubscriberByKey(trx, address.key);
        if (subscriber) {
          await cancelUnsentFor(trx, subscriber.id, now);
          await anonymiseEvents(trx, subscriber.id);
          await anonymiseFeedbackOf(trx, subscriber.id);
          await deleteSubscriptionsOf(trx, subscriber.id);
          await repo.deleteSubscriber(trx, subscriber.id);
        }
        await recordEvent(trx, {
          subscriber_id: null,
          list_id: null,
          type: 'erased',
          at: now,
          ip: null,
          user_agent: null,
          source: context.apiKeyName ? `api key "${context.apiKeyName}"` : context.channel,
          consent_text_id: null,
          detail: null,
        });
        return subscriber !== undefined;
      });
      return { erased, suppressionHash: hash };
    },

    /** A page of subscribers (keyset paging by id). */
    async page(options: { list?: string; status?: string; after?: number; limit?: number }) {
      const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
      if (options.status !== undefined && !STATUSES.includes(options.status as SubscriptionStatus)) {
        throw invalidInput(`The status must be one of ${STATUSES.join(', ')}.`);
      }
      if (options.status !== undefined && options.list === undefined)
        throw invalidInput('Filtering by status needs a list.');
      const list = options.list !== undefined ? await lists.requireList(options.list) : undefined;
      const rows = await repo.pageSubscribers(db, {
        ...(list ? { listId: list.id } : {}),
        ...(options.status ? { status: options.status as SubscriptionStatus } : {}),
        afterId: options.after ?? 0,
        limit,
      });
      return {
        subscribers: rows.map((r) => ({
          id: r.id,
          email: r.email,
          name: r.name,
          attributes: JSON.parse(r.attributes) as Record<string, unknown>,
          createdAt: new Date(r.created_at).toISOString(),
          ...(r.status ? { status: r.status } : {}),
        })),
        next: rows.length === limit ? (rows[rows.length - 1] as { id: number }).id : null,
      };
    },
  };
}

export type SubscribersService = ReturnType<typeof createSubscribersService>;
