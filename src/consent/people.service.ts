import type { Database, Db } from '../db/database.js';
import type { SubscriptionStatus } from '../db/schema.js';
import type { ListsService } from '../lists/lists.service.js';
import { invalidInput, notFound } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { normaliseEmail, type EmailAddress } from '../subscribers/email-address.js';
import * as repo from '../subscribers/subscribers.repo.js';
import { suppressAndCancel } from './change-consent.js';
import type { ClientContext } from './client-context.js';
import {
  anonymiseEvents,
  deleteSubscriptionsOf,
  eventsOf,
  findSuppression,
  listStatusesOf,
  recordEvent,
  subscriptionsOf,
} from './consent.repo.js';
import { suppressionHash } from './suppression-key.js';
import { emitWebhookEvent } from '../webhooks/emit.js';
import { orderingKeys } from '../webhooks/events.js';

/** Personal data another module keeps about a person, removed in the erasure's transaction. */
/** What another module holds about a person and erases in the erasure's transaction (`subscriberId` when we had a row). */
export type EraseElsewhere = (
  trx: Db,
  person: { subscriberId: number | undefined; emailKey: string; email: string },
) => Promise<void>;

/** Erasure outside the database, after it committed (captured mail files): returns what it removed. */
export type EraseAfterCommit = (email: string) => Promise<number>;

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
    consentLanguage: string | null;
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

/**
 * What we hold about a person: show, page, export, erase. Erasure also calls `eraseElsewhere`,
 * the hooks of the modules above consent (feedback) that keep personal data of their own.
 */
export function createPeopleService(
  database: Database,
  lists: ListsService,
  options: {
    eraseElsewhere?: readonly EraseElsewhere[];
    afterCommit?: readonly EraseAfterCommit[];
    clock?: Clock;
  } = {},
) {
  const clock = options.clock ?? systemClock;
  const eraseElsewhere = options.eraseElsewhere ?? [];
  const afterCommit = options.afterCommit ?? [];
  const { db } = database;

  /** Search results with each person's lists and statuses (one query for the page). */
  async function withLists(rows: ReadonlyArray<{ id: number; email: string; name: string | null }>) {
    const memberships = await listStatusesOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ id: r.id, email: r.email, name: r.name, lists: memberships.get(r.id) ?? [] }));
  }

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
      return { exportedAt: new Date(clock.now()).toISOString(), subscriber: await show(email) };
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
        const now = clock.now();
        const subscriber = await repo.findSubscriberByKey(trx, address.key);
        await suppressAndCancel(trx, { emailKey: address.key, subscriberId: subscriber?.id }, 'erased', now);
        // Other modules' copies go even when we hold no row (a report or a quarantined message naming the address).
        for (const erase of eraseElsewhere) {
          await erase(trx, {
            subscriberId: subscriber?.id,
            emailKey: address.key,
            email: subscriber?.email ?? address.email,
          });
        }
        if (subscriber) {
          await anonymiseEvents(trx, subscriber.id);
          await deleteSubscriptionsOf(trx, subscriber.id);
          await repo.deleteSubscriber(trx, subscriber.id);
        }
        // The shop hears of it (outgoing webhooks) to erase its own copy.
        await emitWebhookEvent(
          trx,
          {
            type: 'subscriber.erased',
            orderingKey: subscriber ? orderingKeys.subscriber(subscriber.id) : orderingKeys.address(hash),
            data: { email: address.email, at: new Date(now).toISOString() },
          },
          now,
        );
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
      // The erased rows leave no copy behind: SQLite's WAL is checkpointed and truncated (deleted
      // content is zeroed by secure_delete); then mail files that name the address go.
      await database.forgetDeleted();
      for (const erase of afterCommit) await erase(address.email);
      return { erased, suppressionHash: hash };
    },

    /** People whose address starts with `prefix`, 50 at a time in address order (`after`: the last address shown). */
    async search(prefixInput: unknown, after?: unknown) {
      const prefix = typeof prefixInput === 'string' ? prefixInput.trim().toLowerCase().slice(0, 254) : '';
      if (prefix === '') throw invalidInput('Type the start of an address to search.');
      const afterKey = typeof after === 'string' ? after.toLowerCase().slice(0, 254) : '';
      const rows = await repo.searchSubscribersByPrefix(db, { prefix, afterKey, limit: 50 });
      return {
        subscribers: await withLists(rows),
        next: rows.length === 50 ? (rows[rows.length - 1] as { email: string }).email.toLowerCase() : null,
      };
    },

    /** People whose name starts with the words typed, any case; `after` is the previous page's `next`. */
    async searchByName(prefixInput: unknown, after?: unknown) {
      const prefix = typeof prefixInput === 'string' ? prefixInput.trim().toLowerCase().slice(0, 200) : '';
      if (prefix === '') throw invalidInput('Type the start of a name to search.');
      const cursor = typeof after === 'string' ? /^(\d{1,15}):([\s\S]{0,200})$/.exec(after) : null;
      const rows = await repo.searchSubscribersByName(db, {
        prefix,
        ...(cursor ? { after: { id: Number(cursor[1]), name: cursor[2] as string } } : {}),
        limit: 50,
      });
      const last = rows[rows.length - 1];
      return {
        subscribers: await withLists(rows),
        next: rows.length === 50 && last ? `${last.id}:${(last.name ?? '').toLowerCase()}` : null,
      };
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
      // Without a list, each person's lists and statuses (one query for the page).
      const memberships = list
        ? undefined
        : await listStatusesOf(
            db,
            rows.map((r) => r.id),
          );
      return {
        subscribers: rows.map((r) => ({
          id: r.id,
          email: r.email,
          name: r.name,
          attributes: JSON.parse(r.attributes) as Record<string, unknown>,
          createdAt: new Date(r.created_at).toISOString(),
          ...(r.status ? { status: r.status } : {}),
          ...(memberships ? { lists: memberships.get(r.id) ?? [] } : {}),
        })),
        next: rows.length === limit ? (rows[rows.length - 1] as { id: number }).id : null,
      };
    },
  };
}

export type PeopleService = ReturnType<typeof createPeopleService>;
